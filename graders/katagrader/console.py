"""Printing grading results for a person: the verdict first, the details after."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

from .runner import KataResult, Status

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
    shown: set[str] = set()
    for test in result.tests:
        if test["outcome"] == "passed" or test["nodeid"] in shown:
            continue
        shown.add(test["nodeid"])
        step = f" (step {test['task']})" if test.get("task") else ""
        out.line(f"  {out.paint('x', 'red')} {test['test']}{step}")
        out.line(_indent(test["message"] or test["kind"], "      "))
    for error in result.errors:
        out.line(_indent(error["message"], "      "))
    if result.status is Status.CRASHED or verbose:
        tail = result.output_tail.strip()
        if tail:
            out.line(out.paint("  last output of the grading process:", "dim"))
            out.line(_indent("\n".join(tail.splitlines()[-30:]), "    "))


def print_summary(out: Printer, results: Sequence[KataResult]) -> None:
    graded = [r for r in results if r.status is not Status.SKIPPED]
    passed = sum(1 for r in graded if r.status is Status.PASSED)
    skipped = len(results) - len(graded)
    extra = f", {skipped} skipped (need a newer Python)" if skipped else ""
    style = "green" if passed == len(graded) else "red"
    out.line()
    out.line(out.paint(f"{passed}/{len(graded)} katas passed{extra}", style))
