"""Broken variants of a kata's stub: the code learners really write wrong.

Each mutation rewrites every `raise NotImplementedError(...)` of a stub (or the file as a
whole) so the robustness tests can check that the verdict is readable, names the learner's
line, and arrives within the time limits.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

# A body for one stub site: (is the enclosing function async?) -> lines, or None to keep.
Body = Callable[[bool], list[str] | None]


@dataclass(frozen=True)
class Mutation:
    name: str
    expected: str  # what the verdict must show (checked in test_robustness.py)
    body: Body | None = None  # replaces each stub site
    whole_file: Callable[[str], str] | None = None  # rewrites the whole file
    hangs: bool = False  # graded with short limits and -x


def _sites(source: str) -> list[tuple[ast.Raise, bool]]:
    """Every `raise NotImplementedError(...)` with whether its function is async."""
    tree = ast.parse(source)
    found: list[tuple[ast.Raise, bool]] = []

    def visit(node: ast.AST, is_async: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.AsyncFunctionDef):
                visit(child, True)
            elif isinstance(child, ast.FunctionDef):
                visit(child, False)
            elif isinstance(child, ast.Raise):
                exc = child.exc
                name = exc.func if isinstance(exc, ast.Call) else exc
                if isinstance(name, ast.Name) and name.id == "NotImplementedError":
                    found.append((child, is_async))
            else:
                visit(child, is_async)

    visit(tree, False)
    return found


def apply(mutation: Mutation, source: str) -> str:
    if mutation.whole_file is not None:
        return mutation.whole_file(source)
    assert mutation.body is not None
    lines = source.splitlines()
    for node, is_async in sorted(_sites(source), key=lambda s: -s[0].lineno):
        body = mutation.body(is_async)
        if body is None:
            continue
        indent = lines[node.lineno - 1][: node.col_offset]
        lines[node.lineno - 1 : node.end_lineno] = [indent + line for line in body]
    return "\n".join(lines) + "\n"


def applicable_lines(mutation: Mutation, source: str) -> set[int]:
    """The lines of the stub sites this mutation rewrites."""
    if mutation.body is None:
        return {node.lineno for node, _is_async in _sites(source)}
    return {node.lineno for node, is_async in _sites(source) if mutation.body(is_async) is not None}


def _after_future_import(source: str, code: str) -> str:
    marker = "from __future__ import annotations\n"
    if marker in source:
        return source.replace(marker, marker + code, 1)
    return code + source


def _rename_stubbed_definitions(source: str) -> str:
    """Rename each top-level function or class that holds a stub site, as a learner who
    "tidies up" names would: the grader then cannot find what it calls."""
    tree = ast.parse(source)
    lines = source.splitlines()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        holds_stub = any(
            isinstance(n, ast.Raise) and "NotImplementedError" in ast.unparse(n)
            for n in ast.walk(node)
        )
        if holds_stub and not node.name.startswith("_"):
            keyword = "class" if isinstance(node, ast.ClassDef) else "def"
            line = lines[node.lineno - 1]
            lines[node.lineno - 1] = line.replace(
                f"{keyword} {node.name}", f"{keyword} {node.name}V2", 1
            )
    return "\n".join(lines) + "\n"


def _async_only(lines: list[str]) -> Body:
    return lambda is_async: lines if is_async else None


MUTATIONS = [
    Mutation("syntax_error", "load_error", body=lambda _a: ["return (  # unclosed"]),
    Mutation(
        "exception_at_import",
        "load_error",
        whole_file=lambda s: _after_future_import(s, "raise RuntimeError('config missing')\n"),
    ),
    Mutation("missing_name", "missing_name", whole_file=_rename_stubbed_definitions),
    Mutation("returns_none", "no_crash", body=lambda _a: ["return  # TODO later"]),
    Mutation(
        "sync_infinite_loop", "timeout", body=lambda _a: ["while True:", "    pass"], hangs=True
    ),
    Mutation(
        "sleeps_an_hour",
        "timeout",
        body=lambda _a: ["import time", "time.sleep(3600)"],
        hangs=True,
    ),
    Mutation(
        "waits_forever",
        "timeout",
        body=lambda is_async: (
            ["import asyncio", "await asyncio.Event().wait()"]
            if is_async
            else ["import threading", "threading.Event().wait()"]
        ),
        hangs=True,
    ),
    Mutation(
        "leaks_a_task",
        # Named when the call returns (children.py) if the grader awaits it through
        # within(), else by the check at the end of the test (leaks.py).
        "TASKS STILL RUNNING|LEAKED TASK",
        body=_async_only(
            [
                "import asyncio",
                "asyncio.get_running_loop().create_task(asyncio.sleep(3600))",
                "raise NotImplementedError('and a task was left behind')",
            ]
        ),
    ),
    Mutation(
        "leaks_a_thread",
        "LEAKED THREAD",
        body=lambda _a: [
            "import threading, time",
            "threading.Thread(target=time.sleep, args=(30,)).start()",
            "raise NotImplementedError('and a thread was left behind')",
        ],
    ),
    Mutation(
        "swallows_cancellation",
        "cancellation",
        body=_async_only(
            [
                "import asyncio",
                "try:",
                "    await asyncio.Event().wait()",
                "except asyncio.CancelledError:",
                "    return",
            ]
        ),
    ),
    Mutation("calls_sys_exit", "sys.exit", body=lambda _a: ["import sys", "sys.exit(3)"]),
]
