"""Noticing the wall clock in code graded on the fake loop clock.

On a `looptime` test the loop's clock is virtual: `asyncio.sleep(5)` costs no real time,
and `loop.time()` jumps ahead. A deadline computed from `time.monotonic()` (or
`time.time()`, `time.perf_counter()`) is right on a real loop but never expires there, and
the failure then looks like something else entirely. When such a test fails, the verdict
says so, naming the line.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .locations import Location

WALL_CLOCKS = frozenset({"monotonic", "time", "perf_counter", "monotonic_ns", "time_ns"})


def wall_clock_reads(path: Path) -> list[Location]:
    """The lines of `path` that read the wall clock (`time.monotonic()` and the like, also
    when imported by name)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return []
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "time"
        for alias in node.names
        if alias.name in WALL_CLOCKS
    }
    # The names the time module itself goes by (`import time`, `import time as clock`).
    modules = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name == "time"
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        by_attribute = (
            isinstance(func, ast.Attribute)
            and func.attr in WALL_CLOCKS
            and isinstance(func.value, ast.Name)
            and func.value.id in modules
        )
        by_name = isinstance(func, ast.Name) and func.id in imported
        if by_attribute or by_name:
            found.append(Location(str(path), node.lineno, ""))
    return sorted(found, key=lambda loc: loc.lineno)


def fake_clock_note(paths: list[Path]) -> str:
    """A note for a failed fake-clock test whose learner files read the wall clock; empty
    when they do not."""
    reads = [loc for path in paths for loc in wall_clock_reads(path)]
    if not reads:
        return ""
    first = reads[0]
    more = f" (and {len(reads) - 1} more)" if len(reads) > 1 else ""
    return (
        "NOTE: this check runs the event loop on a fake clock (loop time moves only while "
        "the loop waits), and your code reads the wall clock at "
        f"{str(first).replace(', in ()', '')}{more}. The wall clock does not move with the "
        "loop's, so a deadline taken from it never expires here. Take times from the loop: "
        "`asyncio.get_running_loop().time()`, `asyncio.timeout()` or `asyncio.timeout_at()`."
    )
