"""The asyncio mutation operators make the mutants they claim (no grading: fast).

Each operator's `examples()` pairs a small sample with the mutant it must become (or
itself, where the operator must not fire); they are applied through cosmic-ray's own
`mutate_code`, exactly as a mutation run applies them. The samples from the katas below
check the operators on the shapes the solutions really have.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from cosmic_ray.ast import ast_nodes, get_ast
from cosmic_ray.mutating import mutate_code
from cosmic_ray.operators.operator import Example, Operator
from kata_mutation.operators import OPERATORS, OperatorProvider

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = [
    pytest.param(name, number, example, id=f"{name}-{number}")
    for name, operator in OPERATORS.items()
    for number, example in enumerate(operator.examples())
]


def _positions(operator: Operator, code: str) -> int:
    return sum(1 for node in ast_nodes(get_ast(code)) for _ in operator.mutation_positions(node))


@pytest.mark.parametrize(("name", "number", "example"), EXAMPLES)
def test_example_gives_the_claimed_mutant(name: str, number: int, example: Example) -> None:
    """Each example's code becomes exactly its post-mutation code (or is left alone when
    the example says the operator must not fire there)."""
    operator = OPERATORS[name]()
    mutated = mutate_code(example.pre_mutation_code, operator, example.occurrence)
    if example.post_mutation_code == example.pre_mutation_code:
        assert mutated is None, f"{name} fired where it must not:\n{mutated}"
        assert _positions(operator, example.pre_mutation_code) == 0
    else:
        assert mutated == example.post_mutation_code, (
            f"{name}, example {number}: expected\n{example.post_mutation_code}\ngot\n{mutated}"
        )


@pytest.mark.parametrize("name", list(OPERATORS))
def test_every_operator_has_a_mutating_example(name: str) -> None:
    """No operator goes untested: each has at least one example that it mutates."""
    assert any(e.post_mutation_code != e.pre_mutation_code for e in OPERATORS[name].examples())


def test_provider_serves_every_operator() -> None:
    """The entry point's provider lists every operator and returns each by name (the
    protocol cosmic-ray's plugin loader uses)."""
    provider = OperatorProvider()
    assert sorted(provider) == sorted(OPERATORS)
    assert all(provider[name] is OPERATORS[name] for name in provider)


SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*/*.py"))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_mutant_of_the_solutions_is_valid_python(path: Path) -> None:
    """On the real solutions, every asyncio mutant still compiles: a mutant that is a
    syntax error would be "killed" by the import alone and measure nothing."""
    source = path.read_text(encoding="utf-8")
    operators = {name: operator_class() for name, operator_class in OPERATORS.items()}
    counts = dict.fromkeys(operators, 0)
    for node in ast_nodes(get_ast(source)):  # one parse for every operator's positions
        for name, operator in operators.items():
            counts[name] += sum(1 for _ in operator.mutation_positions(node))
    for name, operator in operators.items():
        for occurrence in range(counts[name]):
            mutated = mutate_code(source, operator, occurrence)
            assert mutated is not None and mutated != source, f"{name} #{occurrence}: no change"
            try:
                ast.parse(mutated)
            except SyntaxError as exc:  # pragma: no cover - the message is the point
                pytest.fail(f"{path.name}: {name} #{occurrence} made invalid code: {exc}")


KATA_SHAPES = [
    pytest.param(
        "DropAwaitAfterCancel",
        "async def f(pending):\n    for task in pending:\n        task.cancel()\n"
        "    if pending:\n        await asyncio.wait(pending)\n",
        "async def f(pending):\n    for task in pending:\n        task.cancel()\n"
        "    if pending:\n        pass\n",
        id="08-wait-after-cancel",
    ),
    pytest.param(
        "RemoveQueueJoin",
        "async def crawl(queue):\n    async with asyncio.TaskGroup() as group:\n"
        "        tasks = [group.create_task(w()) for _ in range(3)]\n        await queue.join()\n"
        "        for task in tasks:\n            task.cancel()\n",
        "async def crawl(queue):\n    async with asyncio.TaskGroup() as group:\n"
        "        tasks = [group.create_task(w()) for _ in range(3)]\n"
        "        for task in tasks:\n            task.cancel()\n",
        id="10-join",
    ),
    pytest.param(
        "ShieldToArgument",
        "async def commit(c):\n    try:\n        return await asyncio.shield(c)\n"
        "    except asyncio.CancelledError:\n        raise\n",
        "async def commit(c):\n    try:\n        return await c\n"
        "    except asyncio.CancelledError:\n        raise\n",
        id="07-shield",
    ),
    pytest.param(
        "CallSoonThreadsafeToCallSoon",
        "def on_reading(self, r):\n    self._loop.call_soon_threadsafe(self._q.put_nowait, r)\n",
        "def on_reading(self, r):\n    self._loop.call_soon(self._q.put_nowait, r)\n",
        id="18-threadsafe",
    ),
]


@pytest.mark.parametrize(("name", "before", "after"), KATA_SHAPES)
def test_operator_on_a_kata_shape(name: str, before: str, after: str) -> None:
    """The operators fire on the forms the katas' solutions use, nested in real blocks."""
    assert mutate_code(before, OPERATORS[name](), 0) == after


def test_no_statement_rewrite_next_to_code_parso_cannot_parse() -> None:
    """parso 0.8 does not parse `except*`: beside it, the asyncio operators make no mutant
    (moving a `return` across the unparsed `finally:` made invalid code)."""
    source = (
        "async def f(watcher):\n    try:\n        await g()\n    except* E:\n        raise X\n"
        "    finally:\n        watcher.cancel()\n        await asyncio.gather(watcher)\n"
        "    return 1\n"
    )
    for name, operator_class in OPERATORS.items():
        assert _positions(operator_class(), source) == 0, f"{name} fired beside except*"
