"""docs/asyncio-coverage.md names every object of the asyncio High-level API pages (the list
in docs/data/asyncio-api.txt, read from the Python docs' sources by tools/python_docs.py)
with the kata whose grader exercises it, the planned kata of issue 14 that will, or why it
is not taught. A "kata NN" claim must be backed by the name in that kata's solution and in
its grader (a textual guard against rot, not a proof that the grader grades it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from katagrader.manifest import load_manifest
from katagrader.targets import REPO_ROOT

TABLE = REPO_ROOT / "docs" / "asyncio-coverage.md"
API = REPO_ROOT / "docs" / "data" / "asyncio-api.txt"
# The seven new katas of issue 14, by the names the issue gives them, with the words their
# slugs will likely carry (to notice a planned row that a new kata now covers).
PLANNED = {
    "Graceful shutdown": "shutdown|signal",
    "Context variables": "context",
    "Racing and deadlines": "racing|race|deadline",
    "Sync ↔ async bridge": "bridge|portal|sync",
    "A production HTTP client": "http|client",
    "Coordination primitives": "coordination|primitive",
    "Inside the event loop": "event_loop|inside|scheduler",
}
FIRST_NEW_KATA = 29  # issue 14's katas come after the first 28
MINIMUM = (3, 11)  # pyproject.toml's requires-python: older versionadded need no mention
ROW = re.compile(
    r"^\| `(?P<name>[\w.]+)` \| (?P<python>[^|]*) \| (?P<status>[^|]*) \| (?P<note>[^|]*) \|$"
)
KATAS = re.compile(r"^kata (?P<numbers>\d\d(?:, \d\d)*)$")
UNGRADED = re.compile(r"^used by kata (?P<number>\d\d)$")
PLAN = re.compile(r"^planned: (?P<kata>.+) \(issue 14\)$")


@dataclass(frozen=True)
class ApiName:
    page: str
    name: str
    added: tuple[int, int] | None


@dataclass(frozen=True)
class Row:
    line: int
    name: str
    python: str
    status: str
    note: str


def api_names(path: Path = API) -> list[ApiName]:
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        page, name, _kind, added = line.split("\t")
        version = tuple(int(p) for p in added.split(".")) if added else None
        names.append(ApiName(page, name, (version[0], version[1]) if version else None))
    return names


def table_rows(text: str) -> list[Row]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = ROW.match(line.strip())
        if match:
            rows.append(
                Row(
                    number,
                    match["name"],
                    match["python"].strip(),
                    match["status"].strip(),
                    match["note"].strip(),
                )
            )
    return rows


@cache
def _kata_text(number: int, pattern: str) -> str:
    folders = [k.slug for k in load_manifest() if k.number == number]
    return "\n".join(
        path.read_text(encoding="utf-8")
        for slug in folders
        for path in sorted(REPO_ROOT.glob(pattern.format(slug=slug)))
    )


def _mentions(text: str, name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return re.search(rf"\b{re.escape(last)}\b", text) is not None


def problems(rows: list[Row], names: list[ApiName]) -> list[str]:
    """Every way the table disagrees with the API list and the katas, one sentence each."""
    found: list[str] = []
    by_name: dict[str, list[Row]] = {}
    for row in rows:
        by_name.setdefault(row.name, []).append(row)
    known = {n.name for n in names}
    numbers = {k.number for k in load_manifest()}
    for api in names:
        listed = by_name.get(api.name, [])
        if not listed:
            found.append(f"{api.name} ({api.page}) has no row in the table.")
            continue
        if len(listed) > 1:
            found.append(f"{api.name} has {len(listed)} rows (lines {[r.line for r in listed]}).")
        row = listed[0]
        needs = f"{api.added[0]}.{api.added[1]}+" if api.added and api.added > MINIMUM else "3.11+"
        if row.python != needs:
            found.append(
                f"line {row.line}: {api.name} says Python {row.python!r}; the docs say {needs!r} "
                "(its versionadded, or the project's minimum)."
            )
        found += _status_problems(row, numbers)
    for row in rows:
        if row.name not in known:
            found.append(f"line {row.line}: {row.name} is not in {API.name} (a typo, or removed).")
    return found


def _status_problems(row: Row, numbers: set[int]) -> list[str]:
    covered, ungraded, plan = (
        KATAS.match(row.status),
        UNGRADED.match(row.status),
        PLAN.match(row.status),
    )
    if covered:
        found = []
        for text in covered["numbers"].split(", "):
            number = int(text)
            if number not in numbers:
                found.append(
                    f"line {row.line}: {row.name} names kata {text}, which katas.toml lacks."
                )
                continue
            for where, pattern in (
                ("solution", "solutions/{slug}/*.py"),
                ("grader", "graders/{slug}/test_*.py"),
            ):
                if not _mentions(_kata_text(number, pattern), row.name):
                    found.append(
                        f"line {row.line}: {row.name} is claimed by kata {text}, but its {where} "
                        f"never names {row.name.rsplit('.', 1)[-1]!r}."
                    )
        return found
    if ungraded:
        number = int(ungraded["number"])
        if number not in numbers:
            return [f"line {row.line}: {row.name} names kata {number:02d}, which katas.toml lacks."]
        if not _mentions(_kata_text(number, "solutions/{slug}/*.py"), row.name):
            return [f"line {row.line}: kata {number:02d}'s solution never names {row.name}."]
        return []
    if plan:
        if plan["kata"] not in PLANNED:
            return [
                f"line {row.line}: {plan['kata']!r} is not one of issue 14's new katas "
                f"({', '.join(PLANNED)})."
            ]
        return _now_covered(row, PLANNED[plan["kata"]])
    if row.status == "not taught":
        return (
            [] if row.note else [f"line {row.line}: {row.name} is not taught but gives no reason."]
        )
    return [
        f"line {row.line}: {row.name} has status {row.status!r}; expected 'kata NN', "
        "'used by kata NN', 'planned: <kata> (issue 14)' or 'not taught' (with a reason)."
    ]


def _now_covered(
    row: Row,
    words: str,
    katas: list[tuple[int, str]] | None = None,
    read: Callable[[int, str], str] | None = None,
) -> list[str]:
    """A planned row goes stale once its new kata exists and names the API in both its
    solution and its grader. (`katas`, `read`: the manifest's (number, slug) pairs and the
    files' text, for the test of this check.)"""
    read = read or _kata_text
    for number, slug in (
        katas if katas is not None else [(k.number, k.slug) for k in load_manifest()]
    ):
        if number < FIRST_NEW_KATA or not re.search(words, slug):
            continue
        solution = read(number, "solutions/{slug}/*.py")
        grader = read(number, "graders/{slug}/test_*.py")
        if _mentions(solution, row.name) and _mentions(grader, row.name):
            return [
                f"line {row.line}: {row.name} is planned, but {slug} now names it in its "
                f"solution and grader: if that grader grades it, say 'kata {number:02d}'."
            ]
    return []


def test_every_api_name_is_in_the_table_and_every_claim_is_backed() -> None:
    """The table lists each High-level API name once, with its Python version and a status
    that the katas back."""
    found = problems(table_rows(TABLE.read_text(encoding="utf-8")), api_names())
    assert not found, f"{TABLE.relative_to(REPO_ROOT)}:\n" + "\n".join(found)


def test_the_api_list_is_the_whole_high_level_api() -> None:
    """The data file covers the seven High-level API pages, including names that only newer
    Pythons have (so the version column is exercised)."""
    names = api_names()
    pages = {n.page for n in names}
    assert pages == {
        f"library/asyncio-{p}"
        for p in ("runner", "task", "stream", "sync", "subprocess", "queue", "exceptions")
    }
    added = {n.name: n.added for n in names}
    assert added["asyncio.Queue.shutdown"] == (3, 13)
    assert added["asyncio.eager_task_factory"] == (3, 12)
    assert "asyncio.TaskGroup.create_task" in added


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("| `asyncio.gather` | 3.11+ | kata 99 | x |", "which katas.toml lacks"),
        ("| `asyncio.gather` | 3.11+ | kata 01 | x |", "its solution never names 'gather'"),
        ("| `asyncio.gather` | 3.13+ | not taught | x |", "the docs say '3.11+'"),
        ("| `asyncio.gather` | 3.11+ | not taught |  |", "gives no reason"),
        ("| `asyncio.gather` | 3.11+ | planned: Gather (issue 14) | x |", "not one of issue 14"),
        ("| `asyncio.gather` | 3.11+ | covered | x |", "expected 'kata NN'"),
        ("| `asyncio.gathr` | 3.11+ | not taught | x |", "is not in"),
    ],
)
def test_a_wrong_row_is_reported(row: str, expected: str) -> None:
    """Each kind of wrong row gives its own sentence (so the check above can fail)."""
    names = [ApiName("library/asyncio-task", "asyncio.gather", None)]
    found = problems(table_rows(row), names)
    assert any(expected in p for p in found), found


def test_a_missing_name_is_reported() -> None:
    """A name of the API list without a row is reported with its page."""
    names = [ApiName("library/asyncio-queue", "asyncio.Queue.shutdown", (3, 13))]
    assert problems([], names) == [
        "asyncio.Queue.shutdown (library/asyncio-queue) has no row in the table."
    ]


def test_a_planned_row_that_a_new_kata_covers_is_reported() -> None:
    """Once a new kata (29+) whose slug fits the planned name names the API in its solution
    and its grader, the planned row is stale; an old kata or a solution alone does not count."""
    row = Row(7, "asyncio.Barrier", "3.11+", "planned: Coordination primitives (issue 14)", "")
    words = PLANNED["Coordination primitives"]
    texts = {"solutions": "asyncio.Barrier(3)", "graders": "a Barrier of three"}

    def read(number: int, pattern: str) -> str:
        return texts[pattern.split("/")[0]]

    def solution_only(number: int, pattern: str) -> str:
        return texts["solutions"] if pattern.startswith("solutions") else ""

    assert _now_covered(row, words, [(30, "30_coordination")], read) == [
        "line 7: asyncio.Barrier is planned, but 30_coordination now names it in its "
        "solution and grader: if that grader grades it, say 'kata 30'."
    ]
    assert _now_covered(row, words, [(12, "12_coordination")], read) == []
    assert _now_covered(row, words, [(30, "30_coordination")], solution_only) == []
