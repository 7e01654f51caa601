"""Build the offline data that verify checks the documentation against (docs/data/).

verify has no network, so two lists are kept in the repository, both read from the
reStructuredText sources of the Python documentation:

- docs/data/asyncio-api.txt: every object documented on the asyncio High-level API pages,
  one per line (`page  name  kind  added`), for tests/test_api_coverage.py;
- docs/data/python-docs-anchors.txt: every page and anchor of the docs' library/, reference/,
  howto/, tutorial/ and faq/ sections and the glossary, for tests/test_doc_links.py.

A source folder is a CPython checkout's `Doc/`, or the `html/_sources` folder of a Debian
`python3.X-doc` package (which ships each page's source as `.rst.txt`):

    python tools/python_docs.py SOURCES-3.13 --html HTML-3.13 \
        --newer-html HTML-3.14 --newer-html HTML-3.15
    python tools/python_docs.py --compare-html HTML-DIR SOURCES   # check the id rules

The API list and the anchors are read from one version's sources (3.13's). `--html` gives
the build of those sources: an anchor it lacks is dropped (the rules below do not cover
every directive perfectly). `--newer-html` gives the built HTML of newer versions (Debian's
python3.14-doc and python3.15-doc ship no sources): each anchor or page a newer build lacks
is marked with that version, so that a link to docs.python.org/3/ (the newest version) can
be told from one to /3.13/. `--compare-html` checks the id rules against a build of the same
sources and prints every anchor one has and the other lacks.

Sphinx's id rules, as implemented here (checked against the 3.13.5 docs built by Sphinx 8.1.3):
- a section: docutils' `make_id` of its title text: lowercase, every run of characters
  other than a-z and 0-9 becomes one hyphen, then leading hyphens and digits and trailing
  hyphens are stripped ("3.2. Queues" -> "queues"). A title already used in the page gets
  an automatic `idN` instead: such ids are not listed (N depends on the whole page).
- an explicit target `.. _name:`: `make_id(name)`, so `asyncio_example_queue_dist` is the
  anchor `asyncio-example-queue-dist`.
- a Python object (`.. function::`, `.. method::` ...): its full dotted name, module
  included, case kept (`asyncio.Queue.shutdown`); not for `:no-index:` entries.
- a glossary term: `term-` plus the term, spaces to hyphens, case kept (`term-iterable`).
"""

from __future__ import annotations

import argparse
import html.parser
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
API_FILE = ROOT / "docs" / "data" / "asyncio-api.txt"
ANCHORS_FILE = ROOT / "docs" / "data" / "python-docs-anchors.txt"

# The asyncio High-level API pages, in the order of the docs' table of contents.
API_PAGES = (
    "library/asyncio-runner",
    "library/asyncio-task",
    "library/asyncio-stream",
    "library/asyncio-sync",
    "library/asyncio-subprocess",
    "library/asyncio-queue",
    "library/asyncio-exceptions",
)
# Pages whose anchors are kept: every page of these sections of the docs (the C API,
# extending, installing and whatsnew are left out), found in the sources given.
ANCHOR_SECTIONS = ("library", "reference", "howto", "tutorial", "faq")
ANCHOR_SINGLE_PAGES = ("glossary",)


def anchor_pages(folder: Path) -> list[str]:
    """The pages of ANCHOR_SECTIONS and ANCHOR_SINGLE_PAGES that `folder` has."""
    pages = []
    for section in ANCHOR_SECTIONS:
        for path in sorted((folder / section).glob("*.rst*")):
            pages.append(f"{section}/{path.name.split('.rst')[0]}")
    pages += [p for p in ANCHOR_SINGLE_PAGES if source_file(folder, p) is not None]
    return pages


OBJECT_DIRECTIVES = {
    "function": "function",
    "coroutinefunction": "function",
    "awaitablefunction": "function",
    "decorator": "function",
    "class": "class",
    "exception": "exception",
    "method": "method",
    "coroutinemethod": "method",
    "awaitablemethod": "method",
    "classmethod": "method",
    "staticmethod": "method",
    "decoratormethod": "method",
    "attribute": "attribute",
    "property": "attribute",
    "data": "data",
}
NESTING = {"class", "exception"}
# A directive, also inside a list-table or grid-table cell (`* - .. data:: X`, `| .. data:: X`).
DIRECTIVE = re.compile(
    r"^(?P<indent> *(?:[*|-] +)*)\.\. (?:py:)?(?P<kind>[a-z-]+)::[ \t]*(?P<arg>.*)$"
)
OPTION = re.compile(r"^ *:(?P<name>[\w-]+):[ \t]*(?P<value>.*)$")
TARGET = re.compile(r"^ *\.\. _(?P<name>[^:`]+|`[^`]+`):\s*$")
SIGNATURE = re.compile(r"^(?P<name>[A-Za-z_][\w.]*)\s*(?:[(\[]|->|$)")
VERSION = re.compile(r"^ *\.\. versionadded:: *(?P<version>\d+\.\d+)")
ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+\s*$")


def docutils_id(text: str) -> str:
    """docutils.nodes.make_id: the id of a section title or of an explicit target."""
    text = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", " ".join(text.split()))
    return re.sub(r"^[-0-9]+|-+$", "", text)


def sphinx_id(text: str) -> str:
    """sphinx.util.nodes._make_id: the id of an object or a glossary term (case and
    dots kept)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-zA-Z0-9._]+", "-", " ".join(text.split()))
    return re.sub(r"^[-0-9._]+|-+$", "", text)


def title_text(line: str) -> str:
    """A section title as docutils renders it: inline markup removed."""
    # :role:`text <target>` -> text; :role:`~a.b` -> b; :role:`a.b` -> a.b
    line = re.sub(r":[\w:.-]+:`([^`<]*?)\s*<[^`>]*>`", r"\1", line)
    line = re.sub(r":[\w:.-]+:`[!~]?([^`]*)`", lambda m: _role_text(m.group(0), m.group(1)), line)
    line = re.sub(r"`([^`<]*?)\s*<[^`>]*>`__?", r"\1", line)  # `text <url>`_
    line = re.sub(r"``([^`]*)``", r"\1", line)
    line = re.sub(r"`([^`]*)`_{0,2}", r"\1", line)
    line = re.sub(r"\*\*([^*]*)\*\*", r"\1", line)
    line = re.sub(r"\*([^*]*)\*", r"\1", line)
    return line.replace("\\", "").strip()


def _role_text(whole: str, inner: str) -> str:
    if whole.split("`", 1)[1].startswith("~"):
        return inner.rsplit(".", 1)[-1]
    return inner


@dataclass(frozen=True)
class ApiName:
    page: str
    name: str  # qualified: asyncio.Queue.shutdown
    kind: str  # function, class, exception, method, attribute, data
    added: str  # the `versionadded` of the entry itself, "" when none


@dataclass
class Page:
    anchors: list[str]
    objects: list[ApiName]


def parse_page(page: str, text: str) -> Page:
    """The anchors and documented objects of one page's reStructuredText source."""
    lines = text.expandtabs(8).splitlines()
    anchors: list[str] = []
    seen: set[str] = set()
    objects: list[ApiName] = []
    module: str | None = None
    # Open class-like directives: (indent of the directive, class path without module,
    # the module of their content: a class's `:module:` option applies to its members).
    classes: list[tuple[int, str, str | None]] = []
    # The objects whose bodies we are in, for their `versionadded`: (directive indent,
    # content indent, index in objects). A `versionadded` belongs to the innermost one
    # whose content indent it has (timeout's comes after its nested Timeout class).
    open_objects: list[tuple[int, int, int]] = []
    glossary_indent: int | None = None
    term_indent: int | None = None
    program: str | None = None  # of `.. option::`: set by `.. program::`

    def add(anchor: str) -> None:
        if anchor and anchor not in seen:
            seen.add(anchor)
            anchors.append(anchor)

    section_titles: set[str] = set()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if stripped:
            while classes and indent <= classes[-1][0]:
                classes.pop()
            while open_objects and indent <= open_objects[-1][0]:
                open_objects.pop()
            if glossary_indent is not None and indent <= glossary_indent:
                glossary_indent = None
        # A section: a title line at the margin followed by its underline.
        overlined = i > 0 and bool(ADORNMENT.match(lines[i - 1]))
        if (
            stripped
            and (indent == 0 or overlined)
            and i + 1 < len(lines)
            and ADORNMENT.match(lines[i + 1])
            and len(lines[i + 1].rstrip()) >= len(stripped.rstrip()) - 1
            and not ADORNMENT.match(line)
            and not line.startswith(".. ")
            and (i == 0 or not lines[i - 1].strip() or overlined)
        ):
            title = docutils_id(title_text(stripped))
            if title and title not in section_titles:
                section_titles.add(title)
                add(title)
            i += 2
            continue
        version = VERSION.match(line)
        owner = [o for o in open_objects if o[1] == indent] if version else []
        if version and owner:
            entry = objects[owner[-1][2]]
            if not entry.added:
                objects[owner[-1][2]] = ApiName(
                    entry.page, entry.name, entry.kind, version["version"]
                )
        citation = re.match(r"^\.\. \[(?P<label>[^\]#*]+)\] ", line)
        if citation:  # a citation `.. [C99] ...`: its id is the label's
            add(docutils_id(citation["label"]))
        target = TARGET.match(line)
        if target:
            add(docutils_id(target["name"].strip("`")))
            i += 1
            continue
        directive = DIRECTIVE.match(line)
        if directive and directive["kind"] in ("currentmodule", "module"):
            name = directive["arg"].strip()
            module = None if name == "None" else name
            if directive["kind"] == "module":
                add(f"module-{name}")
            i += 1
            continue
        if directive and directive["kind"] == "program":
            program = directive["arg"].strip() or None
            i += 1
            continue
        if directive and directive["kind"] in ("option", "cmdoption"):
            # Sphinx's std domain: cmdoption-<program>-<option> for each option named.
            for option in directive["arg"].split(", "):
                name = option.strip().split(" ")[0].split("=")[0].split("[")[0]
                add(sphinx_id("-".join(["cmdoption", *([program] if program else []), name])))
            i += 1
            continue
        if directive and directive["kind"] == "envvar":
            add(sphinx_id(f"envvar-{directive['arg'].strip()}"))
            i += 1
            continue
        if directive and directive["kind"] == "contents":
            add(docutils_id(directive["arg"].strip() or "contents"))
            i += 1
            continue
        if directive and directive["kind"] == "glossary":
            glossary_indent, term_indent = indent, None
            i += 1
            continue
        if glossary_indent is not None and stripped and not stripped.startswith(".. "):
            # The terms are the lines at the indent of the glossary's first line; the
            # definitions are indented further.
            if term_indent is None:
                term_indent = indent
            if indent == term_indent:
                term = sphinx_id(f"term-{stripped}")
                if term != "term":  # an empty id: Sphinx numbers it (term-0)
                    add(term)
        if directive and directive["kind"] in OBJECT_DIRECTIVES:
            kind = OBJECT_DIRECTIVES[directive["kind"]]
            signatures, options, body = _directive_parts(lines, i, len(directive["indent"]))
            mod = options.get("module", classes[-1][2] if classes else module)
            for signature in signatures:
                match = SIGNATURE.match(signature)
                if not match:
                    continue
                path = _full_path(match["name"], classes[-1][1] if classes else None)
                full = f"{mod}.{path}" if mod else path
                if "no-index" in options or "noindex" in options:
                    continue
                add(sphinx_id(full))
                if page in API_PAGES and not any(o.name == full for o in objects):
                    objects.append(ApiName(page, full, kind, ""))
                    open_objects.append((len(directive["indent"]), body, len(objects) - 1))
            if kind in NESTING and signatures:
                # The members belong to the last name (`set` / `frozenset`: frozenset).
                match = SIGNATURE.match(signatures[-1])
                if match:
                    cls = _full_path(match["name"], classes[-1][1] if classes else None)
                    classes.append((len(directive["indent"]), cls, mod))
        i += 1
    return Page(anchors, objects)


def _directive_parts(
    lines: list[str], i: int, indent: int
) -> tuple[list[str], dict[str, str], int]:
    """A directive's signatures (one per line), options, and its content's indent."""
    first = DIRECTIVE.match(lines[i])
    assert first is not None
    arg = first["arg"]
    if "|" in first["indent"]:  # in a grid-table cell: the cell ends at the next `|`
        arg = arg.split("|", 1)[0]
    signatures = [arg.strip()]
    options: dict[str, str] = {}
    j = i + 1
    while j < len(lines) and lines[j].strip():
        line = lines[j]
        if len(line) - len(line.lstrip(" ")) <= indent:
            break
        option = OPTION.match(line)
        if option:
            options[option["name"]] = option["value"].strip()
        elif signatures[-1].endswith("\\"):
            signatures[-1] = signatures[-1][:-1] + line.strip()
        elif not options:
            signatures.append(line.strip())
        j += 1
    body = indent + 3
    while j < len(lines):
        if lines[j].strip():
            body_indent = len(lines[j]) - len(lines[j].lstrip(" "))
            if body_indent > indent:
                body = body_indent
            break
        j += 1
    return signatures, options, body


def _full_path(name: str, cls: str | None) -> str:
    """Sphinx's full name of an object, without its module (PyObject.handle_signature)."""
    prefix, _, last = name.rpartition(".")
    if not cls:
        return name
    if prefix and (prefix == cls or prefix.startswith(cls + ".")):
        return name
    return f"{cls}.{name}" if not prefix else f"{cls}.{prefix}.{last}"


def source_file(folder: Path, page: str) -> Path | None:
    for candidate in (folder / f"{page}.rst", folder / f"{page}.rst.txt"):
        if candidate.exists():
            return candidate
    return None  # a page of a newer version (asyncio-graph is 3.14's)


def parse_folder(folder: Path, pages: Iterable[str]) -> dict[str, Page]:
    parsed = {}
    for page in pages:
        path = source_file(folder, page)
        if path is not None:
            parsed[page] = parse_page(page, path.read_text(encoding="utf-8"))
    return parsed


# Ids of the page template, not of the page's text.
THEME_IDS = {
    "cpython-language-and-version",
    "menuToggler",
    "pydoctheme_dark_css",
    "pygments_dark_css",
    "search-box",
    "sidebarbutton",
}


class _Ids(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)


def html_ids(path: Path) -> set[str]:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.ids


def compare_html(html_dir: Path, folder: Path) -> int:
    """Print, per page, the anchors the rules give that the build lacks, and the ids of
    the build (other than automatic ones) that the rules miss."""
    problems = 0
    for page, parsed in parse_folder(folder, anchor_pages(folder)).items():
        if not (html_dir / f"{page}.html").exists():
            print(f"{page}: not built")
            continue
        built = html_ids(html_dir / f"{page}.html") - THEME_IDS
        ours = set(parsed.anchors)
        extra = sorted(ours - built)
        missing = sorted(i for i in built - ours if not AUTOMATIC.match(i))
        if extra or missing:
            problems += len(extra)
            print(f"{page}: {len(ours)} ours, {len(built)} built")
            for anchor in extra:
                print(f"  not in the build: {anchor}")
            for anchor in missing[:15]:
                print(f"  built, not ours:  {anchor}")
            if len(missing) > 15:
                print(f"  ... and {len(missing) - 15} more built ids not ours")
    return 1 if problems else 0


def _lines(rows: Iterable[str]) -> Iterator[str]:
    for row in rows:
        yield row + "\n"


def write_data(sources: Path, newer: list[Path], same: Path | None = None) -> None:
    """Write both data files from one version's sources. With `same` (the build of those
    sources), an anchor the build lacks is dropped: the rules are not complete for every
    directive. Each `newer` build's missing anchors are marked with its version."""
    version = _version(sources)
    pages = anchor_pages(sources)
    parsed = parse_folder(sources, [*API_PAGES, *pages])
    api = [o for page in API_PAGES for o in parsed[page].objects]
    API_FILE.parent.mkdir(parents=True, exist_ok=True)
    header = [
        f"# Every object documented on the asyncio High-level API pages of the Python {version}",
        "# docs, read from their reStructuredText sources by tools/python_docs.py.",
        "# page<TAB>qualified name<TAB>kind<TAB>the entry's own versionadded (blank: none)",
    ]
    api_rows = [f"{o.page}\t{o.name}\t{o.kind}\t{o.added}" for o in api]
    API_FILE.write_text("".join(_lines([*header, *api_rows])), encoding="utf-8")
    built = {html_dir: _version(html_dir) for html_dir in newer}
    header = [
        f"# Pages and anchors of docs.python.org: read from the Python {version} docs'",
        "# reStructuredText sources by tools/python_docs.py, and compared with the built",
        f"# pages of Python {', '.join(built.values()) or '(none)'}: `<TAB>!3.15` marks an",
        "# anchor that version's page lacks (so a /3/ link to it is broken once /3/ is 3.15).",
        "# One page (library/asyncio-task.html) or page#anchor a line.",
        f"# versions: {' '.join([version, *built.values()])}",
    ]
    rows: list[str] = []
    notes: list[str] = []
    dropped_here = 0
    for page in pages:
        anchors = parsed[page].anchors
        if same is not None and (same / f"{page}.html").exists():
            ids = html_ids(same / f"{page}.html")
            dropped_here += sum(1 for a in anchors if a not in ids)
            anchors = [a for a in anchors if a in ids]
        page_lacking: list[str] = []
        lacking: dict[str, list[str]] = {a: [] for a in anchors}
        for html_dir, other in built.items():
            path = _built_page(html_dir, page)
            if path is None:
                print(f"{page}: no built page in {other}")
                page_lacking.append(other)
                continue
            if path != html_dir / f"{page}.html":
                moved = path.relative_to(html_dir).as_posix()
                print(f"{page}: moved to {moved} in {other}")
                notes.append(f"# {page}.html is {moved} in the {other} docs.")
            ids = html_ids(path)
            dropped = [a for a in anchors if a not in ids]
            if dropped:
                print(f"{page}: not in {other}: {', '.join(dropped)}")
            for anchor in dropped:
                lacking[anchor].append(other)
            if page in API_PAGES:
                ours = {o.name for o in parsed[page].objects}
                new = sorted(i for i in ids if i.startswith("asyncio.") and i not in ours)
                if new:
                    print(f"{page}: objects new in {other}: {', '.join(new)}")
        rows.append(f"{page}.html" + "".join(f"\t!{v}" for v in page_lacking))
        for anchor in anchors:
            marks = "".join(f"\t!{v}" for v in [*page_lacking, *lacking[anchor]])
            rows.append(f"{page}.html#{anchor}{marks}")
    rows += _newer_pages(version, pages, built)
    ANCHORS_FILE.write_text("".join(_lines([*header, *notes, *rows])), encoding="utf-8")
    if same is not None:
        print(f"{dropped_here} anchors the {version} build lacks were dropped")
    print(f"{API_FILE.relative_to(ROOT)}: {len(api)} names")
    print(f"{ANCHORS_FILE.relative_to(ROOT)}: {len(rows)} pages and anchors")


# Ids that Sphinx numbers or that only the page template has: never listed.
AUTOMATIC = re.compile(r"^(id\d+|index-\d+|grammar-token-.*|audit_event_.*)$")


def _newer_pages(version: str, pages: list[str], built: dict[Path, str]) -> list[str]:
    """Pages that only newer versions have (asyncio-graph is 3.14's): their ids are read
    from the build, as Debian's newer packages ship no sources, and marked as missing from
    `version` and from any newer build that lacks them."""
    known = set(pages)
    found: dict[str, dict[str, list[str]]] = {}  # page -> anchor -> the versions having it
    for html_dir, other in built.items():
        # builtins/ is 3.14's new home of stdtypes, functions, exceptions and constants.
        for section in (*ANCHOR_SECTIONS, "builtins"):
            for path in sorted((html_dir / section).glob("*.html")):
                page = f"{section}/{path.stem}"
                if page in known:
                    continue
                ids = {i for i in html_ids(path) - THEME_IDS if not AUTOMATIC.match(i)}
                anchors = found.setdefault(page, {"": []})
                anchors[""].append(other)
                for anchor in sorted(ids):
                    anchors.setdefault(anchor, []).append(other)
    rows = []
    every = list(built.values())
    for page, anchors in sorted(found.items()):
        print(f"{page}: only in {', '.join(anchors[''])} (ids read from the build)")
        for anchor, having in anchors.items():
            lacking = [version, *(v for v in every if v not in having)]
            target = f"{page}.html#{anchor}" if anchor else f"{page}.html"
            rows.append(target + "".join(f"\t!{v}" for v in lacking))
    return rows


def _built_page(html_dir: Path, page: str) -> Path | None:
    """A page of a build, also where a newer version moved it (3.14 moved
    library/stdtypes to builtins/stdtypes)."""
    path = html_dir / f"{page}.html"
    if path.exists():
        return path
    name = page.rsplit("/", 1)[-1]
    moved = [p for p in html_dir.glob(f"*/{name}.html") if p.parent.name != "c-api"]
    return moved[0] if len(moved) == 1 else None


def _version(folder: Path) -> str:
    """The docs' Python version, from a Debian package's path (.../python3.13/html)."""
    match = re.search(r"python(3\.\d+)", str(folder))
    return match[1] if match else str(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("sources", type=Path, help="a version's .rst sources (3.13's)")
    parser.add_argument(
        "--newer-html",
        type=Path,
        action="append",
        default=[],
        metavar="HTML-DIR",
        help="the built HTML of a newer version: keep only the anchors it has too",
    )
    parser.add_argument(
        "--html",
        type=Path,
        metavar="HTML-DIR",
        help="the build of the same sources: drop the anchors it lacks",
    )
    parser.add_argument(
        "--compare-html",
        type=Path,
        metavar="HTML-DIR",
        help="compare the ids the rules give with a build of the same sources, write nothing",
    )
    args = parser.parse_args(argv)
    if args.compare_html:
        return compare_html(args.compare_html, args.sources)
    write_data(args.sources, args.newer_html, args.html)
    return 0


if __name__ == "__main__":
    sys.exit(main())
