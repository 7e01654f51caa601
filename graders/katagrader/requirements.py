"""The requirement map in each grader's module docstring: every promise of the kata's
README and the tests that fail when only that promise is broken.

    Requirements:
    - 1: a URL linked from many pages is fetched once -> test_worker_fetches_each_url_once
    - 3: no worker is left running when crawl() returns -> test_crawl_returns_the_whole_site
    - checks: never more than `workers` fetches at once -> test_crawl_fetches_with_all_workers_at_once
    - 2: the exact wording of log lines -> not graded: the README says it is free

The key is the README step (`checks` for an item of "What the grader checks"). An entry
may continue on following lines indented by two or more spaces. `nox -s verify` checks the
map against the README's steps and the grader's tests (tests/test_layout.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^Requirements[^\n]*:\s*$", re.MULTILINE)
_ENTRY = re.compile(r"^- (?P<key>\d+|checks): (?P<text>.+?) -> (?P<tests>.+)$")
NOT_GRADED = "not graded:"


@dataclass(frozen=True)
class Requirement:
    key: str  # a README step number, or "checks"
    text: str
    tests: tuple[str, ...]  # empty when not graded
    not_graded_reason: str = ""

    @property
    def step(self) -> int | None:
        return int(self.key) if self.key.isdigit() else None


class MapError(ValueError):
    """The map is malformed; the message names the line."""


def _entries(section: str) -> list[str]:
    entries: list[str] = []
    for line in section.splitlines():
        if line.startswith("- "):
            entries.append(line.strip())
        elif line.startswith("  ") and entries and line.strip():
            entries[-1] += " " + line.strip()
        elif line.strip():
            break  # the section ends at the first line that is not part of an entry
        elif entries:
            break
    return entries


def parse_requirements(docstring: str) -> list[Requirement]:
    """The entries of the map; [] when the docstring has none."""
    found = _HEADING.search(docstring)
    if found is None:
        return []
    requirements = []
    for entry in _entries(docstring[found.end() :].lstrip("\n")):
        match = _ENTRY.match(entry)
        if match is None:
            raise MapError(
                f"requirement map entry {entry!r} is not '- <step or checks>: <requirement> "
                "-> <test names, comma separated>' (or '-> not graded: <reason>')"
            )
        tests = match["tests"].strip()
        if tests.startswith(NOT_GRADED):
            reason = tests.removeprefix(NOT_GRADED).strip()
            requirements.append(Requirement(match["key"], match["text"], (), reason or "?"))
        else:
            names = tuple(t.strip() for t in tests.split(",") if t.strip())
            requirements.append(Requirement(match["key"], match["text"], names))
    return requirements
