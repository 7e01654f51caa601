"""Mutation operators for asyncio code, as a cosmic-ray operator provider.

None of the mutation engines ships operators for the mistakes concurrent code is prone to:
a cancelled task never awaited, a lock dropped, a blocking sleep, a TaskGroup swapped for
gather. Each operator here makes one such mistake at every place it fits, and declares in
`examples()` the mutant it makes on a small sample (tests/test_mutation_operators.py checks
them through cosmic-ray's own mutation code).

cosmic-ray works on parso trees. An operator says where it can mutate a node
(`mutation_positions`) and returns the mutated node (`mutate`); the engine only ever calls
`get_code()` on the result, so a mutation that rewrites a whole statement builds its new
text and returns a parse of it (parso round-trips any text exactly, even a fragment).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import parso
from cosmic_ray.operators.operator import Example, Operator
from parso.python.tree import Keyword, Name
from parso.tree import BaseNode, Leaf, NodeOrLeaf

Position = tuple[tuple[int, int], tuple[int, int]]

# ---------------------------------------------------------------------------------------
# Helpers on parso trees


def _span(node: NodeOrLeaf) -> Position:
    return (node.start_pos, node.end_pos)


def _text(node: NodeOrLeaf) -> str:
    return node.get_code(include_prefix=False)


def _parsed(code: str) -> NodeOrLeaf:
    """A node whose code is exactly `code` (what cosmic-ray writes back)."""
    return parso.parse(code)


def _children(node: NodeOrLeaf) -> list[NodeOrLeaf]:
    return list(node.children) if isinstance(node, BaseNode) else []


def _is_name(node: NodeOrLeaf | None, value: str) -> bool:
    return isinstance(node, Name) and node.value == value


def _dotted(node: NodeOrLeaf) -> str | None:
    """`a.b.c` for a name or a chain of attribute trailers, else None (calls, subscripts)."""
    if isinstance(node, Name):
        return str(node.value)
    if node.type != "atom_expr" and node.type != "power":
        return None
    parts = _children(node)
    if not parts or not isinstance(parts[0], Name):
        return None
    names = [str(parts[0].value)]
    for trailer in parts[1:]:
        inner = _children(trailer)
        if trailer.type != "trailer" or len(inner) != 2 or getattr(inner[0], "value", "") != ".":
            return None
        names.append(str(getattr(inner[1], "value", "")))
    return ".".join(names)


def _is_attribute_chain(parts: Sequence[NodeOrLeaf]) -> bool:
    """`task` or `self._task`: a name followed only by attribute trailers."""
    if not parts or not isinstance(parts[0], Name):
        return False
    for trailer in parts[1:]:
        inner = _children(trailer)
        if trailer.type != "trailer" or len(inner) != 2 or getattr(inner[0], "value", "") != ".":
            return False
    return True


def _call_parts(node: NodeOrLeaf) -> tuple[str, NodeOrLeaf, list[NodeOrLeaf]] | None:
    """For `[await] a.b(args)<rest>`: ("a.b", the `(args)` trailer, the trailers after it)."""
    parts = _children(node)
    if node.type not in ("atom_expr", "power") or not parts:
        return None
    if isinstance(parts[0], Keyword) and parts[0].value == "await":
        parts = parts[1:]
    if not parts or not isinstance(parts[0], Name):
        return None
    names = [str(parts[0].value)]
    for index, trailer in enumerate(parts[1:], start=1):
        inner = _children(trailer)
        if trailer.type != "trailer" or not inner:
            return None
        if getattr(inner[0], "value", "") == "." and len(inner) == 2:
            names.append(str(getattr(inner[1], "value", "")))
            continue
        if getattr(inner[0], "value", "") == "(":
            return ".".join(names), trailer, parts[index + 1 :]
        return None
    return None


def _is_await(node: NodeOrLeaf) -> bool:
    parts = _children(node)
    return (
        node.type in ("atom_expr", "power")
        and bool(parts)
        and isinstance(parts[0], Keyword)
        and parts[0].value == "await"
    )


def _arguments(call_trailer: NodeOrLeaf) -> list[NodeOrLeaf]:
    """The argument nodes inside a `(...)` trailer, commas left out."""
    inner = _children(call_trailer)[1:-1]
    if not inner:
        return []
    if inner[0].type == "arglist":
        return [c for c in _children(inner[0]) if getattr(c, "value", None) != ","]
    return inner


def _is_keyword_argument(arg: NodeOrLeaf) -> bool:
    parts = _children(arg)
    return arg.type == "argument" and len(parts) >= 2 and getattr(parts[1], "value", "") == "="


def _is_generator_argument(arg: NodeOrLeaf) -> bool:
    """`f(x for x in y)`: the argument is a bare generator expression."""
    return arg.type == "argument" and any(
        c.type in ("comp_for", "sync_comp_for") for c in _children(arg)
    )


def _first_argument_text(call_trailer: NodeOrLeaf) -> str | None:
    args = _arguments(call_trailer)
    if not args or _is_keyword_argument(args[0]) or getattr(args[0], "value", None) == "*":
        return None
    if args[0].type == "argument" and _children(args[0])[0].type == "operator":
        return None  # *args / **kwargs
    text = _text(args[0])
    return f"({text})" if _is_generator_argument(args[0]) else text


def _statement_expression(node: NodeOrLeaf) -> NodeOrLeaf | None:
    """The expression of a one-statement line (`simple_stmt` holding one expression)."""
    parts = _children(node)
    if node.type != "simple_stmt" or len(parts) != 2:
        return None
    return parts[0]


def _first_prefix(node: NodeOrLeaf) -> str:
    """The whitespace and comments before a node's first token."""
    return str(node.get_first_leaf().prefix)


def _indent(node: NodeOrLeaf) -> str:
    return " " * node.start_pos[1]


def _leading(node: NodeOrLeaf) -> str | None:
    """The node's prefix without the indentation of its first line (comments above it
    stay), or None when that indentation is not plain spaces."""
    prefix = node.get_first_leaf().prefix
    indent = _indent(node)
    if not prefix.endswith(indent) or "\t" in prefix:
        return None
    return prefix[: len(prefix) - len(indent)]


def _dedent(text: str, amount: int) -> str:
    cut = " " * amount
    return "".join(
        line[amount:] if line.startswith(cut) else line for line in text.splitlines(keepends=True)
    )


def _body(block: NodeOrLeaf) -> tuple[str, int] | None:
    """A block's statements as text (each line keeps its indentation) and that indentation;
    a one-line block (`if x: y()`) comes back as a line of its own."""
    if block.type == "suite":
        statements = _children(block)[1:]  # after the newline that opens the block
        if not statements:
            return None
        return "".join(s.get_code() for s in statements), statements[0].start_pos[1]
    return _text(block), 0


def _reindented(body: tuple[str, int], indent: str) -> str:
    text, column = body
    if column == 0:  # a one-line block
        return indent + text
    return _dedent(text, column - len(indent))


def _replace_statement(statement: NodeOrLeaf, lines_at_indent: str) -> NodeOrLeaf | None:
    """`statement` replaced by `lines_at_indent` (already indented like it), keeping the
    comments above it."""
    leading = _leading(statement)
    if leading is None:
        return None
    if not lines_at_indent.endswith("\n"):
        lines_at_indent += "\n"
    return _parsed(leading + lines_at_indent)


_NOT_STATEMENTS = ("newline", "endmarker")


def _removed(statement: NodeOrLeaf) -> NodeOrLeaf | None:
    """Delete a statement; `pass` stands in when it is alone in its block."""
    parent = statement.parent
    siblings = [
        s
        for s in (_children(parent) if parent is not None else [])
        if s.type not in _NOT_STATEMENTS
    ]
    if parent is not None and parent.type in ("suite", "file_input") and len(siblings) > 1:
        return None  # cosmic-ray drops a node mutated into None
    expression = _statement_expression(statement)
    assert expression is not None
    tail = statement.get_code()[len(statement.get_first_leaf().prefix) + len(_text(expression)) :]
    return _parsed(statement.get_first_leaf().prefix + "pass" + tail)


def _enclosing_function(node: NodeOrLeaf) -> NodeOrLeaf | None:
    parent = node.parent
    while parent is not None and parent.type not in ("funcdef", "lambdef"):
        parent = parent.parent
    return parent


def _leaves(node: NodeOrLeaf) -> Iterator[Leaf]:
    if isinstance(node, Leaf):
        yield node
    for child in _children(node):
        yield from _leaves(child)


def _module_imports(node: NodeOrLeaf, name: str) -> bool:
    """Whether the module holding `node` has `import <name>` at its top level."""
    root = node.get_root_node()
    for statement in _children(root):
        expression = _statement_expression(statement)
        if expression is not None and expression.type == "import_name":
            imported = _text(expression).removeprefix("import").split(",")
            if any(part.strip().split(" as ")[0].strip() == name for part in imported):
                return True
    return False


_PARSE_ERRORS = ("error_node", "error_leaf")


def _near_parse_error(node: NodeOrLeaf) -> bool:
    """Whether parso failed to parse code at or around `node` (parso 0.8 does not know
    `except*`): rewriting statements there could make invalid code, so nothing is."""
    around = [node, *_children(node)]
    if node.parent is not None:
        around += _children(node.parent)
    ancestor = node.parent
    while ancestor is not None:
        around.append(ancestor)
        ancestor = ancestor.parent
    return any(n.type in _PARSE_ERRORS for n in around)


class _Base(Operator):
    """Operators that take no arguments; `examples()` lists what each one makes. Each
    says where it applies in `positions()`; nowhere near code parso could not parse."""

    def mutation_positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        if _near_parse_error(node):
            return iter(())
        return self.positions(node)

    def positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        raise NotImplementedError("each operator says where it applies")

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return ()


# ---------------------------------------------------------------------------------------
# Statements removed


class _RemoveStatement(_Base):
    """Deletes one kind of one-expression statement (`pass` if it was alone)."""

    def matches(self, expression: NodeOrLeaf) -> bool:
        raise NotImplementedError("subclasses say which statements they delete")

    def positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        expression = _statement_expression(node)
        if expression is not None and self.matches(expression):
            yield _span(expression)

    def mutate(self, node: NodeOrLeaf, index: int) -> NodeOrLeaf | None:
        return _removed(node)


def _calls_method(expression: NodeOrLeaf, method: str, awaited: bool) -> bool:
    call = _call_parts(expression)
    return (
        call is not None
        and call[0].rsplit(".", 1)[-1] == method
        and "." in call[0]
        and not call[2]
        and _is_await(expression) == awaited
    )


class DropCancel(_RemoveStatement):
    """`task.cancel()` removed: the task is left running."""

    def matches(self, expression: NodeOrLeaf) -> bool:
        return _calls_method(expression, "cancel", awaited=False)

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example("for t in ts:\n    t.cancel()\nawait g\n", "for t in ts:\n    pass\nawait g\n"),
            Example("t.cancel()\nx = 1\n", "x = 1\n"),
        )


_CLEANUP_WAITS = ("asyncio.gather", "asyncio.wait", "gather", "wait")


class DropAwaitAfterCancel(_RemoveStatement):
    """The `await` that waits for cancelled tasks to finish removed (`await task`,
    `await asyncio.gather(*tasks, ...)`, `await asyncio.wait(...)`), where a `.cancel()`
    comes before it in the same function."""

    def matches(self, expression: NodeOrLeaf) -> bool:
        if not _is_await(expression):
            return False
        awaited = _children(expression)[1:]
        call = _call_parts(expression)
        waits = call is not None and call[0] in _CLEANUP_WAITS and not call[2]
        return (waits or _is_attribute_chain(awaited)) and self._after_cancel(expression)

    @staticmethod
    def _after_cancel(expression: NodeOrLeaf) -> bool:
        function = _enclosing_function(expression)
        if function is None:
            return False
        leaves = list(_leaves(function))
        for before, leaf in itertools.pairwise(leaves):
            if leaf.start_pos >= expression.start_pos:
                break
            if leaf.value == "cancel" and before.value == ".":
                return True
        return False

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example(
                "async def f(ts):\n    for t in ts:\n        t.cancel()\n"
                "    await asyncio.gather(*ts, return_exceptions=True)\n    return 1\n",
                "async def f(ts):\n    for t in ts:\n        t.cancel()\n    return 1\n",
            ),
            Example(
                "async def f(t):\n    t.cancel()\n    with suppress(CancelledError):\n"
                "        await t\n",
                "async def f(t):\n    t.cancel()\n    with suppress(CancelledError):\n"
                "        pass\n",
            ),
            Example(
                "async def f(p):\n    for t in p:\n        t.cancel()\n    await asyncio.wait(p)\n",
                "async def f(p):\n    for t in p:\n        t.cancel()\n",
            ),
            # No .cancel() before it: not cleanup, not mutated.
            Example("async def f(t):\n    await t\n", "async def f(t):\n    await t\n"),
        )


class RemoveQueueJoin(_RemoveStatement):
    """`await queue.join()` removed: the caller stops waiting for the queued work."""

    def matches(self, expression: NodeOrLeaf) -> bool:
        return _calls_method(expression, "join", awaited=True)

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example(
                "async def f(q):\n    await q.join()\n    return 1\n",
                "async def f(q):\n    return 1\n",
            ),
            Example("t.join()\n", "t.join()\n"),  # a thread's join is not awaited: kept
        )


class RemoveTaskDone(_RemoveStatement):
    """`queue.task_done()` removed: `queue.join()` then waits forever."""

    def matches(self, expression: NodeOrLeaf) -> bool:
        return _calls_method(expression, "task_done", awaited=False)

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example(
                "try:\n    work()\nfinally:\n    queue.task_done()\n",
                "try:\n    work()\nfinally:\n    pass\n",
            ),
        )


# ---------------------------------------------------------------------------------------
# try statements


def _clauses(try_stmt: NodeOrLeaf) -> list[tuple[str, list[NodeOrLeaf]]]:
    """The clauses of a try statement: (kind, its children) with kind in try, except,
    else, finally."""
    clauses: list[tuple[str, list[NodeOrLeaf]]] = []
    for child in _children(try_stmt):
        if child.type == "except_clause":
            clauses.append(("except", [child]))
        elif isinstance(child, Keyword) and child.value in ("try", "except", "else", "finally"):
            clauses.append((str(child.value), [child]))
        elif clauses:
            clauses[-1][1].append(child)
    return clauses


def _clause_code(children: list[NodeOrLeaf]) -> str:
    return "".join(c.get_code() for c in children)


def _try_without(try_stmt: NodeOrLeaf, dropped: int) -> NodeOrLeaf | None:
    """The try statement with clause number `dropped` removed, rewritten into what is
    still valid Python: with no except or finally left, the try and else bodies alone."""
    clauses = _clauses(try_stmt)
    kept = [c for i, c in enumerate(clauses) if i != dropped]
    kinds = [kind for kind, _ in kept]
    if "except" in kinds:
        code = "".join(_clause_code(children) for _, children in kept)
        return _parsed(
            try_stmt.get_first_leaf().prefix + code.removeprefix(_first_prefix(kept[0][1][0]))
        )
    indent = _indent(try_stmt)
    bodies = [_body(children[-1]) for kind, children in kept if kind in ("try", "else")]
    if any(body is None for body in bodies):
        return None
    if "finally" in kinds:  # try/else/finally without except: else's body joins try's
        try_code = _clause_code(kept[0][1])
        else_code = "".join(_reindented(b, indent + " " * 4) for b in bodies[1:] if b)
        final = _clause_code(next(children for kind, children in kept if kind == "finally"))
        code = try_code + else_code + final
        return _parsed(
            try_stmt.get_first_leaf().prefix + code.removeprefix(_first_prefix(kept[0][1][0]))
        )
    return _replace_statement(try_stmt, "".join(_reindented(b, indent) for b in bodies if b))


class DropFinally(_Base):
    """A `finally:` block removed: its cleanup no longer runs."""

    def positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        if node.type == "try_stmt":
            for kind, children in _clauses(node):
                if kind == "finally":
                    yield (children[0].start_pos, children[-1].end_pos)

    def mutate(self, node: NodeOrLeaf, index: int) -> NodeOrLeaf | None:
        finals = [i for i, (kind, _) in enumerate(_clauses(node)) if kind == "finally"]
        return _try_without(node, finals[index])

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example(
                "def f():\n    try:\n        a()\n    finally:\n        b()\n    c()\n",
                "def f():\n    a()\n    c()\n",
            ),
            Example(
                "try:\n    a()\nexcept E:\n    b()\nfinally:\n    c()\n",
                "try:\n    a()\nexcept E:\n    b()\n",
            ),
        )


class DropExcept(_Base):
    """One `except` branch removed: the error it handled propagates instead."""

    def positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        if node.type == "try_stmt":
            for kind, children in _clauses(node):
                if kind == "except":
                    yield (children[0].start_pos, children[-1].end_pos)

    def mutate(self, node: NodeOrLeaf, index: int) -> NodeOrLeaf | None:
        handlers = [i for i, (kind, _) in enumerate(_clauses(node)) if kind == "except"]
        return _try_without(node, handlers[index])

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example(
                "try:\n    a()\nexcept E:\n    b()\nexcept F:\n    c()\n",
                "try:\n    a()\nexcept F:\n    c()\n",
            ),
            Example(
                "try:\n    a()\nexcept E:\n    b()\nexcept F:\n    c()\n",
                "try:\n    a()\nexcept E:\n    b()\n",
                occurrence=1,
            ),
            Example(
                "def f():\n    try:\n        a()\n    except E:\n        b()\n    else:\n"
                "        c()\n",
                "def f():\n    a()\n    c()\n",
            ),
            Example(
                "try:\n    a()\nexcept E:\n    b()\nfinally:\n    c()\n",
                "try:\n    a()\nfinally:\n    c()\n",
            ),
        )


# ---------------------------------------------------------------------------------------
# TaskGroup and gather


def _task_group_name(async_stmt: NodeOrLeaf) -> tuple[str, NodeOrLeaf] | None:
    """For `async with asyncio.TaskGroup() as name:` the name and the block."""
    parts = _children(async_stmt)
    if async_stmt.type != "async_stmt" or len(parts) != 2 or parts[1].type != "with_stmt":
        return None
    with_parts = _children(parts[1])
    if len(with_parts) != 4 or with_parts[1].type != "with_item":
        return None
    item = _children(with_parts[1])
    if len(item) != 3 or not isinstance(item[2], Name):
        return None
    call = _call_parts(item[0])
    if call is None or call[0] != "asyncio.TaskGroup" or call[2] or _arguments(call[1]):
        return None
    return str(item[2].value), with_parts[3]


def _create_task_calls(node: NodeOrLeaf, group: str) -> list[Name] | None:
    """The `group` names in `node`, each the start of `group.create_task(...)`; None when
    the group is used any other way."""
    found: list[Name] = []
    for leaf in _leaves(node):
        if not _is_name(leaf, group):
            continue
        nxt = leaf.get_next_leaf()
        after = nxt.get_next_leaf() if nxt is not None else None
        if getattr(nxt, "value", "") != "." or not _is_name(after, "create_task"):
            return None
        found.append(leaf)  # type: ignore[arg-type]
    return found


class TaskGroupToGather(_Base):
    """`async with asyncio.TaskGroup() as g:` replaced by plain tasks and a final
    `await asyncio.gather(...)`: a failure no longer cancels the other tasks. Fits when
    the block uses the group only as `[name =] g.create_task(...)` or in a list or dict
    comprehension of such calls assigned to a name."""

    def positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        if self._plan(node) is not None:
            yield _span(_children(node)[1])

    def _plan(self, node: NodeOrLeaf) -> tuple[NodeOrLeaf, list[tuple[NodeOrLeaf, str]]] | None:
        found = _task_group_name(node)
        if found is None:
            return None
        group, block = found
        if block.type != "suite":
            return None
        plan: list[tuple[NodeOrLeaf, str]] = []  # (statement, what gather waits for)
        for statement in _children(block)[1:]:
            calls = _create_task_calls(statement, group)
            if calls is None:
                return None
            if not calls:
                plan.append((statement, ""))
                continue
            expression = _statement_expression(statement)
            if expression is None:
                return None
            if _call_parts(expression) is not None and len(calls) == 1:
                plan.append((statement, "<new>"))
                continue
            parts = _children(expression)
            if expression.type != "expr_stmt" or len(parts) != 3 or not isinstance(parts[0], Name):
                return None
            value = parts[2]
            if value.type == "atom_expr" and len(calls) == 1 and _call_parts(value) is not None:
                plan.append((statement, str(parts[0].value)))
            elif value.type == "atom" and getattr(_children(value)[0], "value", "") == "[":
                plan.append((statement, f"*{parts[0].value}"))
            elif value.type == "atom" and any(
                getattr(c, "value", "") == ":" for c in _children(_children(value)[1])
            ):
                plan.append((statement, f"*{parts[0].value}.values()"))
            else:
                return None
        if not any(waits for _, waits in plan):
            return None
        return block, plan

    def mutate(self, node: NodeOrLeaf, index: int) -> NodeOrLeaf | None:
        plan = self._plan(node)
        found = _task_group_name(node)
        assert plan is not None and found is not None
        group = found[0]
        block, statements = plan
        indent = _indent(node)
        waits: list[str] = []
        for number, (statement, wait) in enumerate(statements):
            for name in _create_task_calls(statement, group) or []:
                name.value = "asyncio"
            if wait == "<new>":
                first = statement.get_first_leaf()
                first.prefix = first.prefix + f"_mutant_task_{number} = "
                wait = f"_mutant_task_{number}"
            if wait:
                waits.append(wait)
        body = _body(block)
        assert body is not None
        code = _reindented(body, indent) + f"{indent}await asyncio.gather({', '.join(waits)})\n"
        return _replace_statement(node, code)

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example(
                "async def f():\n    async with asyncio.TaskGroup() as g:\n"
                "        a = g.create_task(one())\n        g.create_task(two())\n"
                "    return a.result()\n",
                "async def f():\n    a = asyncio.create_task(one())\n"
                "    _mutant_task_1 = asyncio.create_task(two())\n"
                "    await asyncio.gather(a, _mutant_task_1)\n    return a.result()\n",
            ),
            Example(
                "async def f(xs):\n    async with asyncio.TaskGroup() as g:\n"
                "        ts = [g.create_task(one(x)) for x in xs]\n        await q.join()\n",
                "async def f(xs):\n    ts = [asyncio.create_task(one(x)) for x in xs]\n"
                "    await q.join()\n    await asyncio.gather(*ts)\n",
            ),
            Example(
                "async def f(xs):\n    async with asyncio.TaskGroup() as g:\n"
                "        ts = {x: g.create_task(one(x)) for x in xs}\n",
                "async def f(xs):\n    ts = {x: asyncio.create_task(one(x)) for x in xs}\n"
                "    await asyncio.gather(*ts.values())\n",
            ),
            # The group handed to other code: does not fit, not mutated.
            Example(
                "async def f():\n    async with asyncio.TaskGroup() as g:\n        run(g)\n",
                "async def f():\n    async with asyncio.TaskGroup() as g:\n        run(g)\n",
            ),
        )


def _gather_call(statement: NodeOrLeaf) -> NodeOrLeaf | None:
    """The one `await asyncio.gather(...)` (positional arguments only) in a statement."""
    found = [
        node
        for node in _nodes(statement)
        if _is_await(node)
        and (call := _call_parts(node)) is not None
        and call[0] == "asyncio.gather"
        and not call[2]
        and not any(_is_keyword_argument(a) for a in _arguments(call[1]))
    ]
    return found[0] if len(found) == 1 else None


def _nodes(node: NodeOrLeaf) -> Iterator[NodeOrLeaf]:
    yield node
    for child in _children(node):
        yield from _nodes(child)


class GatherToTaskGroup(_Base):
    """`await asyncio.gather(a, b, ...)` (no keyword arguments) replaced by the same
    awaitables run in an `asyncio.TaskGroup`: a failure now cancels the others and comes
    wrapped in an ExceptionGroup."""

    def positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        if _statement_expression(node) is not None:
            call = _gather_call(node)
            if call is not None:
                yield _span(call)

    def mutate(self, node: NodeOrLeaf, index: int) -> NodeOrLeaf | None:
        call = _gather_call(node)
        assert call is not None
        parts = _call_parts(call)
        assert parts is not None
        arguments = _text(parts[1])[1:-1].strip()
        statement = _text(node)
        offset = (
            call.start_pos[1] - node.start_pos[1]
            if call.start_pos[0] == node.start_pos[0]
            else None
        )
        if offset is None:
            return None
        results = "[_mutant_task.result() for _mutant_task in _mutant_tasks]"
        rest = statement[:offset] + results + statement[offset + len(_text(call)) :]
        indent = _indent(node)
        code = (
            f"{indent}async with asyncio.TaskGroup() as _mutant_group:\n"
            f"{indent}    _mutant_tasks = [_mutant_group.create_task(_mutant_aw) "
            f"for _mutant_aw in [{arguments}]]\n"
            f"{indent}{rest}"
        )
        return _replace_statement(node, code)

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example(
                "async def f(xs):\n    return list(await asyncio.gather(*(g(x) for x in xs)))\n",
                "async def f(xs):\n    async with asyncio.TaskGroup() as _mutant_group:\n"
                "        _mutant_tasks = [_mutant_group.create_task(_mutant_aw) for _mutant_aw "
                "in [*(g(x) for x in xs)]]\n"
                "    return list([_mutant_task.result() for _mutant_task in _mutant_tasks])\n",
            ),
            Example(
                "async def f():\n    await asyncio.gather(a(), b(), return_exceptions=True)\n",
                "async def f():\n    await asyncio.gather(a(), b(), return_exceptions=True)\n",
            ),
        )


# ---------------------------------------------------------------------------------------
# Blocking calls, locks, loops, cleanup order


class SleepToTimeSleep(_Base):
    """`await asyncio.sleep(x)` replaced by `time.sleep(x)`: the whole loop is blocked."""

    def positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        call = _call_parts(node)
        if _is_await(node) and call is not None and call[0] == "asyncio.sleep" and not call[2]:
            yield _span(node)

    def mutate(self, node: NodeOrLeaf, index: int) -> NodeOrLeaf | None:
        call = _call_parts(node)
        assert call is not None
        module = "time" if _module_imports(node, "time") else '__import__("time")'
        return _parsed(node.get_first_leaf().prefix + f"{module}.sleep{_text(call[1])}")

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example(
                "import time\nasync def f():\n    await asyncio.sleep(d * 2)\n",
                "import time\nasync def f():\n    time.sleep(d * 2)\n",
            ),
            Example(
                "async def f():\n    x = await asyncio.sleep(0)\n",
                'async def f():\n    x = __import__("time").sleep(0)\n',
            ),
        )


def _single_bare_with(with_stmt: NodeOrLeaf) -> NodeOrLeaf | None:
    """The block of `with x:` / `with a.b:` (one item, a plain name or attribute, no `as`)."""
    parts = _children(with_stmt)
    if with_stmt.type != "with_stmt" or len(parts) != 4 or _dotted(parts[1]) is None:
        return None
    return parts[3]


class AsyncWithToBody(_Base):
    """`async with lock:` (a lock, semaphore or condition: a plain name or attribute, no
    `as`) replaced by its body alone: the body runs unguarded."""

    def positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        parts = _children(node)
        if node.type == "async_stmt" and len(parts) == 2 and _single_bare_with(parts[1]):
            yield _span(_children(parts[1])[1])

    def mutate(self, node: NodeOrLeaf, index: int) -> NodeOrLeaf | None:
        block = _single_bare_with(_children(node)[1])
        assert block is not None
        body = _body(block)
        return None if body is None else _replace_statement(node, _reindented(body, _indent(node)))

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example(
                "async def f():\n    async with self._lock:\n        a()\n        b()\n    c()\n",
                "async def f():\n    a()\n    b()\n    c()\n",
            ),
            Example(
                "async def f():\n    async with asyncio.timeout(1):\n        a()\n",
                "async def f():\n    async with asyncio.timeout(1):\n        a()\n",
            ),
        )


class WithToBody(_Base):
    """`with lock:` (a threading lock: a plain name or attribute, no `as`) replaced by
    its body alone, the thread-side twin of AsyncWithToBody."""

    def positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        if node.parent is not None and node.parent.type == "async_stmt":
            return
        if _single_bare_with(node) is not None:
            yield _span(_children(node)[1])

    def mutate(self, node: NodeOrLeaf, index: int) -> NodeOrLeaf | None:
        block = _single_bare_with(node)
        assert block is not None
        body = _body(block)
        return None if body is None else _replace_statement(node, _reindented(body, _indent(node)))

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example(
                "def f():\n    with self._lock:\n        a()\n",
                "def f():\n    a()\n",
            ),
            Example("with open(p) as f:\n    a()\n", "with open(p) as f:\n    a()\n"),
        )


class CallSoonThreadsafeToCallSoon(_Base):
    """`loop.call_soon_threadsafe(...)` replaced by `loop.call_soon(...)`: the loop is not
    woken up, and its internals are touched from another thread."""

    def positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        if _is_name(node, "call_soon_threadsafe"):
            before = node.get_previous_leaf()
            if getattr(before, "value", "") == ".":
                yield _span(node)

    def mutate(self, node: NodeOrLeaf, index: int) -> NodeOrLeaf | None:
        assert isinstance(node, Leaf)
        node.value = "call_soon"
        return node

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example(
                "loop.call_soon_threadsafe(q.put_nowait, x)\n",
                "loop.call_soon(q.put_nowait, x)\n",
            ),
        )


def _is_cleanup_statement(statement: NodeOrLeaf) -> bool:
    """A one-expression line that is a call or an await (`x.close()`, `await t`)."""
    expression = _statement_expression(statement)
    if expression is None:
        return False
    return _is_await(expression) or _call_parts(expression) is not None


class ReturnBeforeCleanup(_Base):
    """A `return` moved above the calls and awaits just before it in its block (closing,
    cancelling, waiting): the function returns before its cleanup runs."""

    def _moves(self, suite: NodeOrLeaf) -> list[tuple[int, int]]:
        """(index of the return, index of the first cleanup line before it)."""
        statements = _children(suite)
        moves = []
        for index, statement in enumerate(statements):
            expression = _statement_expression(statement)
            if expression is None or expression.type != "return_stmt":
                continue
            first = index
            while first - 1 >= 1 and _is_cleanup_statement(statements[first - 1]):
                first -= 1
            if first < index:
                moves.append((index, first))
        return moves

    def positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        if node.type == "suite":
            for index, _ in self._moves(node):
                yield _span(_children(node)[index])

    def mutate(self, node: NodeOrLeaf, index: int) -> NodeOrLeaf | None:
        ret, first = self._moves(node)[index]
        statements = _children(node)
        moved = statements[ret]
        order = [*statements[:first], moved, *statements[first:ret], *statements[ret + 1 :]]
        assert isinstance(node, BaseNode)
        node.children = order
        return node

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example(
                "async def f(w):\n    n = w.n\n    w.close()\n    await w.wait_closed()\n"
                "    return n\n",
                "async def f(w):\n    n = w.n\n    return n\n    w.close()\n"
                "    await w.wait_closed()\n",
            ),
            Example(
                "def f():\n    x = g()\n    return x\n", "def f():\n    x = g()\n    return x\n"
            ),
        )


_BOUNDARY = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}


class ComparisonBoundary(_Base):
    """A comparison's boundary shifted: `<` <-> `<=`, `>` <-> `>=` (an off-by-one on a
    limit, a deadline, a count). The same mutants of cosmic-ray's ReplaceComparisonOperator
    are excluded in favour of these (see kata_mutation.mutants)."""

    def positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        if isinstance(node, Leaf) and node.type == "operator" and node.value in _BOUNDARY:
            if node.parent is not None and node.parent.type == "comparison":
                yield _span(node)

    def mutate(self, node: NodeOrLeaf, index: int) -> NodeOrLeaf | None:
        assert isinstance(node, Leaf)
        node.value = _BOUNDARY[node.value]
        return node

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example("if n < limit: pass\n", "if n <= limit: pass\n"),
            Example("if a >= b: pass\n", "if a > b: pass\n"),
            Example("x = a <= b > c\n", "x = a <= b >= c\n", occurrence=1),
            Example("def f(a: int = 1) -> None: pass\n", "def f(a: int = 1) -> None: pass\n"),
        )


class _CallToArgument(_Base):
    """`name(x)` replaced by `x` for the dotted names in NAMES."""

    NAMES: tuple[str, ...] = ()

    def matches(self, node: NodeOrLeaf) -> str | None:
        call = _call_parts(node)
        if call is None or call[0] not in self.NAMES:
            return None
        argument = _first_argument_text(call[1])
        if argument is None:
            return None
        if call[2]:  # `sorted(x)[0]`: keep the rest attached to the argument
            argument = f"({argument})" if not argument.startswith("(") else argument
        awaited = "await " if _is_await(node) else ""
        return awaited + argument + "".join(_text(t) for t in call[2])

    def positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        if self.matches(node) is not None:
            yield _span(node)

    def mutate(self, node: NodeOrLeaf, index: int) -> NodeOrLeaf | None:
        replacement = self.matches(node)
        assert replacement is not None
        return _parsed(node.get_first_leaf().prefix + replacement)


class SortedToArgument(_CallToArgument):
    """`sorted(x)` replaced by `x`: whatever order the work finished in leaks out."""

    NAMES = ("sorted",)

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example("names = tuple(sorted(done))\n", "names = tuple(done)\n"),
            Example("y = sorted(a for a in b)\n", "y = (a for a in b)\n"),
            Example("y = sorted(xs, key=k)[0]\n", "y = (xs)[0]\n"),
        )


class ShieldToArgument(_CallToArgument):
    """`asyncio.shield(x)` replaced by `x`: cancelling the caller cancels the work too."""

    NAMES = ("asyncio.shield", "shield")

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (Example("return await asyncio.shield(task)\n", "return await task\n"),)


_CLOSING = ("contextlib.aclosing", "aclosing", "contextlib.closing", "closing")


def _closing_with(statement: NodeOrLeaf) -> tuple[str, str | None, NodeOrLeaf] | None:
    """For `[async] with [contextlib.]aclosing(e) [as n]:` ("e", "n" or None, the block)."""
    with_stmt = statement
    if statement.type == "async_stmt":
        parts = _children(statement)
        if len(parts) != 2:
            return None
        with_stmt = parts[1]
    parts = _children(with_stmt)
    if with_stmt.type != "with_stmt" or len(parts) != 4:
        return None
    item = parts[1]
    name: str | None = None
    if item.type == "with_item":
        inner = _children(item)
        if len(inner) != 3 or not isinstance(inner[2], Name):
            return None
        item, name = inner[0], str(inner[2].value)
    call = _call_parts(item)
    if call is None or call[0] not in _CLOSING or call[2]:
        return None
    argument = _first_argument_text(call[1])
    if argument is None or len(_arguments(call[1])) != 1:
        return None
    return argument, name, parts[3]


class ClosingToArgument(_CallToArgument):
    """`aclosing(x)` / `closing(x)` replaced by `x`: the generator is no longer closed when
    the block ends. `[async] with aclosing(gen) as g:` becomes `g = gen` and the block."""

    NAMES = _CLOSING

    def positions(self, node: NodeOrLeaf) -> Iterator[Position]:
        if node.type in ("async_stmt", "with_stmt"):
            if node.type == "with_stmt" and node.parent is not None:
                if node.parent.type == "async_stmt":
                    return
            if _closing_with(node) is not None:
                yield _span(node)
            return
        parent = node.parent
        if parent is not None and parent.type in ("with_item", "with_stmt"):
            statement = parent if parent.type == "with_stmt" else parent.parent
            if statement is not None and statement.parent is not None:
                if statement.parent.type == "async_stmt":
                    statement = statement.parent
            if statement is not None and _closing_with(statement) is not None:
                return  # mutated as a whole statement above
        yield from super().positions(node)

    def mutate(self, node: NodeOrLeaf, index: int) -> NodeOrLeaf | None:
        if node.type not in ("async_stmt", "with_stmt"):
            return super().mutate(node, index)
        found = _closing_with(node)
        assert found is not None
        argument, name, block = found
        body = _body(block)
        if body is None:
            return None
        indent = _indent(node)
        first = f"{indent}{name} = {argument}\n" if name else f"{indent}{argument}\n"
        return _replace_statement(node, first + _reindented(body, indent))

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example(
                "async def f():\n    async with contextlib.aclosing(gen(x)) as items:\n"
                "        async for i in items:\n            return i\n",
                "async def f():\n    items = gen(x)\n    async for i in items:\n        return i\n",
            ),
            Example(
                "def f():\n    with closing(gen()) as items:\n        return next(items)\n",
                "def f():\n    items = gen()\n    return next(items)\n",
            ),
            Example(
                "stack.enter_context(closing(g))\n",
                "stack.enter_context(g)\n",
            ),
        )


OPERATORS: dict[str, type[Operator]] = {
    op.__name__: op
    for op in (
        DropAwaitAfterCancel,
        DropCancel,
        DropFinally,
        DropExcept,
        TaskGroupToGather,
        GatherToTaskGroup,
        SleepToTimeSleep,
        AsyncWithToBody,
        WithToBody,
        CallSoonThreadsafeToCallSoon,
        ReturnBeforeCleanup,
        ComparisonBoundary,
        SortedToArgument,
        ShieldToArgument,
        ClosingToArgument,
        RemoveQueueJoin,
        RemoveTaskDone,
    )
}


class OperatorProvider:
    """cosmic-ray's operator provider protocol: iterate the names, index by name."""

    def __iter__(self) -> Iterator[str]:
        return iter(OPERATORS)

    def __getitem__(self, name: str) -> type[Operator]:
        return OPERATORS[name]


def describe(name: str) -> str:
    """The first line of an operator's docstring."""
    doc: Any = OPERATORS[name].__doc__ or ""
    return str(doc).strip().splitlines()[0]
