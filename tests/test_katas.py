"""Every kata proves its grader: the solution passes, the stub is "not started", and each
pitfall is rejected by the check it names. Each kata is graded in its own process, exactly
as `nox -s grade` does it."""

from __future__ import annotations

from pathlib import Path

import pytest

from katagrader.manifest import Kata, load_manifest
from katagrader.pitfalls import Pitfall, build_overlay, load_pitfalls
from katagrader.runner import DEFAULT_KATA_SECONDS, KataResult, Status, run_kata
from katagrader.targets import REPO_ROOT, Target

# Each case grades a whole kata in a child process, which has its own limits.
pytestmark = pytest.mark.timeout(DEFAULT_KATA_SECONDS + 30)
KATAS = load_manifest()
PITFALLS = [p for kata in KATAS for p in load_pitfalls(kata)]


def _needs_python(kata: Kata) -> None:
    if not kata.supported_here:
        pytest.skip(f"{kata.slug} needs Python {kata.min_python_text}+")


def _failures(result: KataResult) -> str:
    lines = [f"{result.kata.slug}: {result.status}: {result.summary}"]
    for test in result.tests:
        if test["outcome"] != "passed":
            lines.append(f"  {test['test']} [{test['kind']}]: {test['message']}")
    if result.status is Status.CRASHED:
        lines.append(result.output_tail[-3000:])
    return "\n".join(lines)


@pytest.mark.parametrize("kata", KATAS, ids=lambda k: k.slug)
def test_solution_passes(kata: Kata) -> None:
    """The reference solution passes every check of its grader."""
    _needs_python(kata)
    result = run_kata(kata, Target(REPO_ROOT / "solutions"))
    assert result.status is Status.PASSED, _failures(result)


@pytest.mark.parametrize("kata", KATAS, ids=lambda k: k.slug)
def test_stub_is_not_started(kata: Kata) -> None:
    """The untouched stub fails every check, each with the "not started" verdict (no crash,
    no check that passes without the learner writing anything)."""
    _needs_python(kata)
    result = run_kata(kata, Target(REPO_ROOT / "exercises"))
    assert result.status is Status.NOT_STARTED, _failures(result)
    passing = [t["test"] for t in result.tests if t["outcome"] == "passed"]
    assert not passing, f"{kata.slug}: these checks pass on the untouched stub: {passing}"


def _grader_file(pitfall: Pitfall, test: str) -> str:
    """The grader file of the pitfall's kata that defines `test`."""
    graders = sorted((REPO_ROOT / "graders" / pitfall.kata.slug).glob("test_*.py"))
    for grader in graders:
        if f"def {test}(" in grader.read_text(encoding="utf-8"):
            return grader.name
    raise AssertionError(
        f"{pitfall.path.relative_to(REPO_ROOT)} names {test!r}, which no grader of "
        f"{pitfall.kata.slug} defines ({', '.join(g.name for g in graders)})."
    )


@pytest.mark.parametrize("pitfall", PITFALLS, ids=lambda p: p.id)
def test_pitfall_is_rejected(pitfall: Pitfall, tmp_path: Path) -> None:
    """Each pitfall fails the checks it names, with the verdict kind it names."""
    _needs_python(pitfall.kata)
    # Only the checks the pitfall names: they are what this test is about.
    named = [f"{_grader_file(pitfall, test)}::{test}" for test in pitfall.rejected_by]
    result = run_kata(pitfall.kata, build_overlay(pitfall, tmp_path), only=named)
    assert result.status is Status.FAILED, _failures(result)
    verdicts = {t["test"]: t for t in result.tests if t["phase"] == "call"}
    for test, kind in pitfall.rejected_by.items():
        assert test in verdicts, (
            f"{pitfall.path.relative_to(REPO_ROOT)} names {test!r}, which the grader of "
            f"{pitfall.kata.slug} does not have. Its tests: {sorted(verdicts)}"
        )
        got = verdicts[test]
        assert got["outcome"] == "failed" and got["kind"] == kind, (
            f"{pitfall.id}: expected {test} to fail as {kind!r}; it {got['outcome']} "
            f"({got['kind']}): {got['message']}\n{_failures(result)}"
        )
