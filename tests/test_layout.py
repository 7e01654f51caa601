"""The repository matches its manifest: every kata has all its parts, in the agreed shape.
Messages say exactly which file to add or fix (see docs/adding-a-kata.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from katagrader.manifest import Kata, load_manifest
from katagrader.pitfalls import load_pitfalls
from katagrader.plugin import KATA_FOLDER
from katagrader.requirements import MapError, parse_requirements
from katagrader.targets import REPO_ROOT

KATAS = load_manifest()
by_slug = pytest.mark.parametrize("kata", KATAS, ids=lambda k: k.slug)


def _readme_steps(kata: Kata) -> set[int]:
    text = (REPO_ROOT / "exercises" / kata.slug / "README.md").read_text(encoding="utf-8")
    task = text.split("## Your task", 1)[-1].split("\n## ", 1)[0]
    return {int(n) for n in re.findall(r"^(\d+)\. ", task, flags=re.MULTILINE)}


def _public_signatures(path: Path) -> dict[str, str]:
    """Top-level functions and classes (with their methods) mapped to their arguments."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = ast.unparse(node.args)
        elif isinstance(node, ast.ClassDef):
            found[node.name] = "class"
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    found[f"{node.name}.{item.name}"] = ast.unparse(item.args)
    return found


def test_numbers_are_contiguous() -> None:
    """Katas are numbered 1, 2, 3... with no gap, so the order is unambiguous."""
    numbers = [k.number for k in KATAS]
    assert numbers == list(range(1, len(KATAS) + 1)), f"kata numbers in katas.toml: {numbers}"


@pytest.mark.parametrize("tree", ["exercises", "solutions", "graders"])
def test_every_folder_is_in_the_manifest(tree: str) -> None:
    """No kata folder exists that katas.toml does not list."""
    listed = {k.slug for k in KATAS}
    folders = {p.name for p in (REPO_ROOT / tree).iterdir() if KATA_FOLDER.match(p.name)}
    assert folders <= listed, f"{tree}/ has folders missing from katas.toml: {folders - listed}"


@by_slug
def test_kata_has_every_part(kata: Kata) -> None:
    """README, stub, solution and grader exist for every module of the kata."""
    missing = []
    for path in (
        [REPO_ROOT / "exercises" / kata.slug / "README.md"]
        + [
            REPO_ROOT / tree / kata.slug / f"{module}.py"
            for tree in ("exercises", "solutions")
            for module in kata.modules
        ]
        + [REPO_ROOT / "graders" / kata.slug / f"test_{module}.py" for module in kata.modules]
    ):
        if not path.is_file():
            missing.append(str(path.relative_to(REPO_ROOT)))
    assert not missing, f"{kata.slug} is missing: {', '.join(missing)}"


@by_slug
def test_kata_has_pitfalls_and_hints(kata: Kata) -> None:
    """At least one pitfall, and two or three hints in katas.toml."""
    assert load_pitfalls(kata), f"add a wrong answer to graders/{kata.slug}/pitfalls/"
    assert 2 <= len(kata.hints) <= 3, f"{kata.slug}: give 2 or 3 hints, not {len(kata.hints)}"
    assert kata.sources, f"{kata.slug}: list the sources the kata comes from"


@by_slug
def test_readme_has_the_sections(kata: Kata) -> None:
    """The README has numbered steps, what the grader checks, and sources."""
    text = (REPO_ROOT / "exercises" / kata.slug / "README.md").read_text(encoding="utf-8")
    for heading in ("## Your task", "## What the grader checks", "## Sources"):
        assert heading in text, f"exercises/{kata.slug}/README.md needs a '{heading}' section"
    assert _readme_steps(kata), f"exercises/{kata.slug}/README.md: number the steps '1. ...'"


@by_slug
def test_stub_is_a_stub(kata: Kata) -> None:
    """Each stub marks its TODOs and raises NotImplementedError with a sentence, never `pass`."""
    for module in kata.modules:
        path = REPO_ROOT / "exercises" / kata.slug / f"{module}.py"
        text = path.read_text(encoding="utf-8")
        shown = path.relative_to(REPO_ROOT)
        assert "# TODO" in text, f"{shown}: mark each place to edit with '# TODO'"
        raises = [
            node
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.Raise) and "NotImplementedError" in ast.unparse(node)
        ]
        assert raises, f"{shown}: the bodies to write must raise NotImplementedError"
        for node in raises:
            exc = node.exc
            sentence = (
                exc.args[0].value
                if isinstance(exc, ast.Call) and exc.args and isinstance(exc.args[0], ast.Constant)
                else ""
            )
            assert isinstance(sentence, str) and sentence.strip(), (
                f"{shown}, line {node.lineno}: give NotImplementedError a sentence saying what to do"
            )
        assert ast.get_docstring(ast.parse(text)), f"{shown}: start with the task as a docstring"


@by_slug
def test_solution_matches_the_stub(kata: Kata) -> None:
    """The solution defines the stub's public names with the same arguments."""
    for module in kata.modules:
        stub = _public_signatures(REPO_ROOT / "exercises" / kata.slug / f"{module}.py")
        solution = _public_signatures(REPO_ROOT / "solutions" / kata.slug / f"{module}.py")
        differing = {n: (a, solution.get(n)) for n, a in stub.items() if solution.get(n) != a}
        assert not differing, (
            f"solutions/{kata.slug}/{module}.py differs from the stub (stub, solution): {differing}"
        )


@by_slug
def test_every_grader_test_names_a_step(kata: Kata) -> None:
    """Each grader test has a docstring and a task marker for a step of the README."""
    steps = _readme_steps(kata)
    for module in kata.modules:
        path = REPO_ROOT / "graders" / kata.slug / f"test_{module}.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tests = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test_")
        ]
        assert tests, f"{path.relative_to(REPO_ROOT)} has no test"
        for test in tests:
            where = f"{path.relative_to(REPO_ROOT)}::{test.name}"
            assert ast.get_docstring(test), f"{where}: add a one-sentence docstring"
            marks = [
                d
                for d in test.decorator_list
                if isinstance(d, ast.Call) and ast.unparse(d.func) == "pytest.mark.task"
            ]
            assert marks, f"{where}: mark it with @pytest.mark.task(<step>)"
            step = ast.literal_eval(marks[0].args[0])
            assert step in steps, f"{where}: step {step} is not a numbered step of the README"


@by_slug
def test_requirement_map_covers_the_readme_and_the_tests(kata: Kata) -> None:
    """Each grader's docstring maps every README step to the tests that fail when only
    that step is broken; every test is in the map, every named test exists, and a
    requirement left ungraded is said to be so in the README (katagrader/requirements.py)."""
    readme = (REPO_ROOT / "exercises" / kata.slug / "README.md").read_text(encoding="utf-8")
    covered: set[int] = set()
    for module in kata.modules:
        path = REPO_ROOT / "graders" / kata.slug / f"test_{module}.py"
        shown = path.relative_to(REPO_ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        try:
            requirements = parse_requirements(ast.get_docstring(tree) or "")
        except MapError as exc:
            pytest.fail(f"{shown}: {exc}")
        assert requirements, (
            f"{shown}: add a 'Requirements:' map to the module docstring (format in "
            "graders/katagrader/requirements.py): each README promise and its tests."
        )
        tests = {
            n.name
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test_")
        }
        named = {t for r in requirements for t in r.tests}
        assert named <= tests, f"{shown}: the map names tests it does not define: {named - tests}"
        assert tests <= named, f"{shown}: these tests are in no requirement: {tests - named}"
        if any(r.not_graded_reason for r in requirements):
            assert "not graded" in readme.lower(), (
                f"{shown} leaves a requirement ungraded: exercises/{kata.slug}/README.md must "
                "say so ('... is not graded')."
            )
        covered |= {r.step for r in requirements if r.step is not None}
    missing = _readme_steps(kata) - covered
    assert not missing, f"{kata.slug}: README steps with no entry in the requirement map: {missing}"


def test_prerequisites_come_earlier() -> None:
    """Every prerequisite is a kata of the manifest taken before the one that needs it, so
    no kata relies on a concept taught later."""
    number = {k.slug: k.number for k in KATAS}
    wrong = [
        f"{k.slug} needs {p}"
        + (" (no such kata)" if p not in number else f" (kata {number[p]}, taught later)")
        for k in KATAS
        for p in k.prerequisites
        if number.get(p, k.number + 1) >= k.number
    ]
    assert not wrong, f"katas.toml: prerequisites must be earlier katas: {wrong}"


def test_readme_lists_every_kata() -> None:
    """README.md's kata table names every kata of the manifest."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [k.slug for k in KATAS if f"`{k.slug}`" not in readme]
    assert not missing, f"add these katas to the table in README.md: {missing}"


def _definitions(tree: ast.Module) -> dict[str, ast.stmt]:
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def _to_edit(node: ast.stmt, source: str) -> bool:
    """Whether the learner edits this definition: it raises NotImplementedError or holds a
    `# TODO` (such as state to add in `__init__`)."""
    raises = any(
        isinstance(n, ast.Raise) and "NotImplementedError" in ast.unparse(n) for n in ast.walk(node)
    )
    lines = source.splitlines()
    end = node.end_lineno or node.lineno
    # A trailing comment (a TODO after the last statement) is outside the node's span.
    while end < len(lines) and (not lines[end].strip() or lines[end].lstrip().startswith("#")):
        end += 1
    return raises or any("# TODO" in line for line in lines[node.lineno - 1 : end])


def _drift(stub: ast.stmt, solution: ast.stmt | None, name: str, source: str) -> list[str]:
    """Names whose code differs although the stub gives them ready-made."""
    if solution is None:
        return [name]
    if not _to_edit(stub, source):
        return [] if ast.dump(stub) == ast.dump(solution) else [name]
    if isinstance(stub, ast.ClassDef) and isinstance(solution, ast.ClassDef):
        theirs = _definitions(ast.Module(body=solution.body, type_ignores=[]))
        return [
            drifted
            for method_name, method in _definitions(
                ast.Module(body=stub.body, type_ignores=[])
            ).items()
            for drifted in _drift(method, theirs.get(method_name), f"{name}.{method_name}", source)
        ]
    return []


@by_slug
def test_ready_made_code_is_the_same_in_stub_and_solution(kata: Kata) -> None:
    """Everything the stub gives ready-made (fakes, data classes, helpers, the module
    docstring) is identical in the solution, so the learner works against what passed."""
    for module in kata.modules:
        source = (REPO_ROOT / "exercises" / kata.slug / f"{module}.py").read_text()
        stub = ast.parse(source)
        solution = ast.parse((REPO_ROOT / "solutions" / kata.slug / f"{module}.py").read_text())
        theirs = _definitions(solution)
        drifted = [
            d
            for name, node in _definitions(stub).items()
            for d in _drift(node, theirs.get(name), name, source)
        ]
        assert ast.get_docstring(stub) == ast.get_docstring(solution), (
            f"{kata.slug}/{module}.py: the module docstrings of stub and solution differ"
        )
        assert not drifted, (
            f"{kata.slug}/{module}.py: these ready-made parts differ between stub and solution: "
            f"{drifted}. Change both, or neither."
        )
