"""Every docs.python.org link of the learner-facing text (the katas' READMEs, katas.toml,
README.md and docs/) points to a page and an anchor that exist. verify has no network: the
pages and anchors are those of docs/data/python-docs-anchors.txt, built by
tools/python_docs.py from the Python docs' sources (see its docstring for the id rules).

Links to other sites (httpx, Starlette, uvicorn, YouTube) are not checked: see
docs/python-versions.md, "Documentation links"."""

from __future__ import annotations

import difflib
import re
from functools import cache
from pathlib import Path

import pytest

from katagrader.targets import REPO_ROOT

ANCHORS = REPO_ROOT / "docs" / "data" / "python-docs-anchors.txt"
LINK = re.compile(
    r"https?://docs\.python\.org/(?:(?P<version>3(?:\.\d+)?)/)?(?P<page>[\w./-]+?\.html)"
    r"(?:#(?P<anchor>[^\s)>\]\"'`]+))?"
)


def linking_files(root: Path = REPO_ROOT) -> list[Path]:
    files = [root / "README.md", root / "katas.toml"]
    files += sorted(root.glob("exercises/*/README.md"))
    files += sorted(p for p in (root / "docs").rglob("*.md") if "data" not in p.parts)
    return [p for p in files if p.exists()]


# page -> anchor ("" for the page itself) -> the versions whose docs lack it
Anchors = dict[str, dict[str, tuple[str, ...]]]


@cache  # read once for all the files checked
def load_anchors(path: Path = ANCHORS) -> tuple[tuple[str, ...], Anchors]:
    """The versions the list was built from (oldest first) and the pages and anchors."""
    versions: tuple[str, ...] = ()
    pages: Anchors = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# versions:"):
            versions = tuple(line.split(":", 1)[1].split())
        if not line or line.startswith("#"):
            continue
        target, *marks = line.split("\t")
        page, _, anchor = target.partition("#")
        pages.setdefault(page, {})[anchor] = tuple(m.removeprefix("!") for m in marks)
    assert versions, f"{path.name} names no versions (rebuild it with tools/python_docs.py)"
    return versions, pages


def broken_links(text: str, versions: tuple[str, ...], pages: Anchors) -> list[str]:
    """One sentence per link whose page or anchor does not exist, with the nearest valid one.
    A link to /3/ must work on the newest version's page (docs.python.org/3/ serves it), one
    to /3.13/ on that version's page."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in LINK.finditer(line):
            page, anchor = match["page"], (match["anchor"] or "").rstrip(".,;:")
            asked = match["version"]
            version = versions[-1] if asked in (None, "3") else asked
            where = f"the {version} docs" + (", which /3/ serves" if version != asked else "")
            link = f"{page}#{anchor}" if anchor else page
            if page not in pages:
                near = difflib.get_close_matches(page, pages, n=1, cutoff=0.6)
                hint = f"; nearest listed page: {near[0]}" if near else ""
                found.append(
                    f"line {number}: {link}: the page is not in {ANCHORS.name} (a wrong page, "
                    f"or one of a section tools/python_docs.py leaves out){hint}"
                )
                continue
            if version in pages[page][""]:
                having = [v for v in versions if v not in pages[page][""]]
                found.append(
                    f"line {number}: {link}: the page is not in {where} "
                    f"(it is in {', '.join(having)})"
                )
                continue
            valid = [a for a, lacking in pages[page].items() if a and version not in lacking]
            if not anchor or anchor in valid:
                continue
            near = difflib.get_close_matches(anchor, valid, n=1, cutoff=0.0)
            hint = f"; nearest valid anchor: {page}#{near[0]}" if near else ""
            if anchor in pages[page]:
                having = [v for v in versions if v not in pages[page][anchor]]
                found.append(
                    f"line {number}: {link}: the anchor is not in {where} "
                    f"(it is in {', '.join(having)}){hint}"
                )
            else:
                found.append(f"line {number}: {link}: no such anchor{hint}")
    return found


@pytest.mark.parametrize("path", linking_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_python_docs_links_exist(path: Path) -> None:
    """Each docs.python.org link of the file names an existing page and anchor."""
    found = broken_links(path.read_text(encoding="utf-8"), *load_anchors())
    assert not found, f"{path.relative_to(REPO_ROOT)}:\n" + "\n".join(found)


def test_a_broken_anchor_is_reported_with_the_nearest_valid_one() -> None:
    """A wrong anchor, a wrong page, an anchor and a page gone from the newest version (which
    /3/ serves), and a page too new for a /3.13/ link are reported; a good /3.13/ link and a
    /3/ link to a page new in 3.14 are not."""
    pages: Anchors = {
        "library/asyncio-task.html": {"": (), "asyncio.timeout": (), "timeouts": ("3.15",)},
        "library/asynchat.html": {"": ("3.15",)},
        "library/asyncio-graph.html": {"": ("3.13",)},
    }
    text = (
        "See https://docs.python.org/3/library/asyncio-task.html#asyncio.timeouts.\n"
        "and <https://docs.python.org/3/library/asyncio-tsk.html>\n"
        "and https://docs.python.org/3.13/library/asyncio-task.html#timeouts\n"
        "and https://docs.python.org/3/library/asyncio-task.html#timeouts\n"
        "and https://docs.python.org/3/library/asynchat.html\n"
        "and https://docs.python.org/3/library/asyncio-graph.html\n"
        "and https://docs.python.org/3.13/library/asyncio-graph.html\n"
    )
    assert broken_links(text, ("3.13", "3.14", "3.15"), pages) == [
        "line 1: library/asyncio-task.html#asyncio.timeouts: no such anchor; nearest valid "
        "anchor: library/asyncio-task.html#asyncio.timeout",
        "line 2: library/asyncio-tsk.html: the page is not in python-docs-anchors.txt (a wrong "
        "page, or one of a section tools/python_docs.py leaves out); nearest listed page: "
        "library/asyncio-task.html",
        "line 4: library/asyncio-task.html#timeouts: the anchor is not in the 3.15 docs, "
        "which /3/ serves (it is in 3.13, 3.14); nearest valid anchor: "
        "library/asyncio-task.html#asyncio.timeout",
        "line 5: library/asynchat.html: the page is not in the 3.15 docs, which /3/ serves "
        "(it is in 3.13, 3.14)",
        "line 7: library/asyncio-graph.html: the page is not in the 3.13 docs (it is in 3.14, "
        "3.15)",
    ]


def test_the_anchor_list_has_sphinx_ids() -> None:
    """Object ids keep their case and dots, section ids are slugs, explicit targets turn
    underscores into hyphens: one of each, as the HTML build has them."""
    versions, pages = load_anchors()
    assert versions[0] == "3.13"
    assert {"asyncio.Queue.shutdown", "asyncio-queues", "exceptions"} <= set(
        pages["library/asyncio-queue.html"]
    )
    assert "asyncio-example-queue-dist" in pages["library/asyncio-queue.html"]
    assert pages["reference/expressions.html"]["generator-iterator-methods"] == ("3.15",)
    assert pages["library/asyncio-graph.html"]["asyncio.capture_call_graph"] == ("3.13",)
    assert "term-asynchronous-iterator" in pages["glossary.html"]
    assert "asyncio.TaskGroup.create_task" in pages["library/asyncio-task.html"]
