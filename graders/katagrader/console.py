"""Printing grading results for a person: the verdict first, the details after."""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO

from .runner import KataResult, Status

# Lines a verdict may fill when the output is not a terminal (a log, a pipe).
SCREEN_LINES = 50
_COLOURS = {"green": "32", "red": "31", "yellow": "33", "dim": "2", "bold": "1"}
_BADGES = {
    Status.PASSED: ("PASS", "green"),
    Status.FAILED: ("FAIL", "red"),
    Status.NOT_STARTED: ("TODO", "yellow"),
    Status.CRASHED: ("CRASH", "red"),
    Status.SKIPPED: ("SKIP", "dim"),
}


class Printer:
    """Writes to a stream, in colour only when it is a terminal and NO_COLOR is unset."""

    def __init__(self, stream: TextIO = sys.stdout, colour: bool | None = None) -> None:
        self.stream = stream
        if colour is None:
            colour = stream.isatty() and "NO_COLOR" not in os.environ
        self.colour = colour or "FORCE_COLOR" in os.environ

    def paint(self, text: str, style: str) -> str:
        return f"\033[{_COLOURS[style]}m{text}\033[0m" if self.colour else text

    def line(self, text: str = "") -> None:
        print(text, file=self.stream)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


# A finding starts a paragraph with its tag in capitals ("LEAKED TASK: ...").
_FINDING_START = re.compile(r"^[A-Z][A-Z ]{3,}[A-Z]:")


def _collapse_findings(message: str) -> str:
    """The same finding repeated (one leaked task per worker) is shown once, counted."""
    blocks: list[list[str]] = []
    for line in message.splitlines():
        if not blocks or _FINDING_START.match(line):
            blocks.append([line])
        else:
            blocks[-1].append(line)
    texts = ["\n".join(block).strip("\n") for block in blocks]
    counts = Counter(texts)
    shown: list[str] = []
    for text in dict.fromkeys(texts):
        count = counts[text]
        shown.append(f"{count} x {text}" if count > 1 and _FINDING_START.match(text) else text)
    return "\n".join(shown)


@dataclass
class _Group:
    """Failed checks that share one message: shown once, with every test's name."""

    message: str
    kind: str
    tests: list[str] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    first: int = 0  # the order the first of them ran in

    def heading(self) -> str:
        names = self.tests if len(self.tests) <= 3 else [*self.tests[:2], "..."]
        count = f"{len(self.tests)} checks: " if len(self.tests) > 1 else ""
        steps = sorted(set(self.steps))
        step = ""
        if steps:
            step = (
                f" (step {steps[0]})"
                if len(steps) == 1
                else f" (steps {', '.join(map(str, steps))})"
            )
        return f"{count}{', '.join(names)}{step}"


def failure_groups(result: KataResult) -> list[_Group]:
    """The failed checks grouped by identical message, the most useful first: a problem
    with the module itself (it does not import), then by the step they check, earliest
    first, then in the order they ran."""
    groups: dict[str, _Group] = {}
    seen: set[str] = set()
    for order, test in enumerate(result.tests):
        if test["outcome"] == "passed" or test["nodeid"] in seen:
            continue
        seen.add(test["nodeid"])
        message = _collapse_findings(test["message"] or test["kind"])
        group = groups.setdefault(message, _Group(message, str(test.get("kind")), first=order))
        group.tests.append(str(test["test"]))
        if test.get("task"):
            group.steps.append(int(test["task"]))

    def rank(group: _Group) -> tuple[int, int, int]:
        module_level = 0 if group.kind == "load_error" else 1
        not_run = 1 if group.message.startswith("NOT RUN:") else 0
        return (module_level + not_run, min(group.steps, default=99), group.first)

    return sorted(groups.values(), key=rank)


def _screen_lines(out: Printer) -> tuple[int, int]:
    size = shutil.get_terminal_size((100, SCREEN_LINES))
    height = size.lines if _is_terminal(out.stream) else SCREEN_LINES
    return max(10, height), max(40, size.columns)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Budget:
    """Prints until a screenful is used, then counts what it leaves out."""

    def __init__(self, out: Printer, lines: int, width: int, unlimited: bool) -> None:
        self.out = out
        self.left = lines
        self.width = width
        self.unlimited = unlimited
        self.cut = 0

    def emit(self, text: str) -> None:
        for line in text.splitlines() or [""]:
            rows = max(1, -(-len(line) // self.width))  # a long line wraps on screen
            if not self.unlimited and (self.cut or rows > self.left):
                self.cut += 1
                continue
            self.left -= rows
            self.out.line(line)

    def close(self) -> None:
        if self.cut:
            self.out.line(self.out.paint(f"      … {self.cut} more lines (`-v` shows all)", "dim"))


def print_result(out: Printer, result: KataResult, *, verbose: bool = False) -> None:
    badge, style = _BADGES[result.status]
    out.line(
        f"{out.paint(f'{badge:<5}', style)} {out.paint(result.kata.slug, 'bold')}  {result.summary}"
    )
    if result.status in (Status.PASSED, Status.SKIPPED):
        return
    if result.status is Status.NOT_STARTED and not verbose:
        first = next((t for t in result.tests if t["outcome"] == "failed"), None)
        if first:
            out.line(_indent(first["message"], "      "))
        return
    height, width = _screen_lines(out)
    # Room for the header, the summary line and the watch prompt below the verdict.
    budget = _Budget(out, height - 6, width, unlimited=verbose)
    for group in failure_groups(result):
        budget.emit(f"  {out.paint('x', 'red')} {group.heading()}")
        budget.emit(_indent(group.message, "      "))
    for error in result.errors:
        budget.emit(_indent(error["message"], "      "))
    if result.status is Status.CRASHED or verbose:
        tail = result.output_tail.strip()
        if tail:
            budget.emit(out.paint("  last output of the grading process:", "dim"))
            budget.emit(_indent("\n".join(tail.splitlines()[-30:]), "    "))
    budget.close()


def print_summary(out: Printer, results: Sequence[KataResult]) -> None:
    graded = [r for r in results if r.status is not Status.SKIPPED]
    passed = sum(1 for r in graded if r.status is Status.PASSED)
    skipped = len(results) - len(graded)
    extra = f", {skipped} skipped (need a newer Python)" if skipped else ""
    style = "green" if passed == len(graded) else "red"
    out.line()
    out.line(out.paint(f"{passed}/{len(graded)} katas passed{extra}", style))
