"""Robustness: for every kata, the mistakes learners really make (derived from its stub by
tests/mutations.py) get a readable verdict that names the learner's line, within the time
limits, and leave the exercise file exactly as it was. Also: a broken kata does not stop
the others in the same run from being graded."""

from __future__ import annotations

import functools
import hashlib
import re
import shutil
from pathlib import Path

import pytest
from mutations import MUTATIONS, Mutation, applicable_lines, apply

from katagrader.manifest import Kata, load_manifest
from katagrader.runner import KataResult, Status, run_kata, run_katas
from katagrader.targets import REPO_ROOT, Target

KATA_SECONDS = 90.0
pytestmark = [pytest.mark.robustness, pytest.mark.timeout(KATA_SECONDS * 2 + 60)]
KATAS = [k for k in load_manifest() if k.supported_here]

# A short per-test limit: a hang must become a verdict quickly.
HANG_ARGS = ("-o", "timeout=2", "-o", "kata_hard_timeout=10")
# Katas whose learner code runs in a process of the grader's own (kata 27 runs the
# learner's tests in an inner pytest): one test is not evidence there, and the verdict
# comes from that process. They are graded whole and must simply not pass, readably.
GRADED_WHOLE = {"27_testing_async"}


def _cases() -> list[tuple[Kata, Mutation]]:
    cases = []
    for kata in KATAS:
        stub = (REPO_ROOT / "exercises" / kata.slug / f"{kata.modules[0]}.py").read_text()
        for mutation in MUTATIONS:
            if mutation.body is not None and not applicable_lines(mutation, stub):
                continue  # e.g. a task leak where every function to write is synchronous
            cases.append((kata, mutation))
    return cases


@functools.cache
def _first_test_per_stub_line(kata: Kata) -> dict[int, str]:
    """Which test reaches which stub site first, from grading the untouched stub: each
    "not started" verdict names the line of the NotImplementedError it hit."""
    result = run_kata(kata, Target(REPO_ROOT / "exercises"))
    module = f"{kata.slug}/{kata.modules[0]}.py"
    first: dict[int, str] = {}
    for test in result.tests:
        found = re.search(r"in (\S+) \(line (\d+)\)", test["message"])
        if test["kind"] == "not_started" and found and found[1].endswith(module):
            first.setdefault(int(found[2]), test["nodeid"].rsplit("/", 1)[-1])
    return first


def _test_reaching(kata: Kata, mutation: Mutation, stub: str) -> str:
    """One grader test that runs into the mutated code: one test is evidence enough, and
    grading a single test keeps each case to a few seconds."""
    tests = _first_test_per_stub_line(kata)
    lines = applicable_lines(mutation, stub) if mutation.body is not None else set(tests)
    for line, test in sorted(tests.items()):
        if line in lines:
            return test
    pytest.skip(f"no grader test of {kata.slug} reaches a stub site that {mutation.name} changes")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _explain(result: KataResult) -> str:
    lines = [f"{result.kata.slug}: {result.status}: {result.summary}"]
    lines += [f"  {t['test']} [{t['kind']}]: {t['message']}" for t in result.tests if t["message"]]
    if result.status is Status.CRASHED:
        lines.append(result.output_tail[-2000:])
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("kata", "mutation"), _cases(), ids=lambda v: v.slug if isinstance(v, Kata) else v.name
)
def test_broken_code_gets_a_readable_verdict(
    kata: Kata, mutation: Mutation, tmp_path: Path
) -> None:
    """The mutated stub fails with the expected verdict, naming the learner's file, in time,
    and grading leaves the file untouched."""
    shutil.copytree(REPO_ROOT / "exercises" / kata.slug, tmp_path / kata.slug)
    module = tmp_path / kata.slug / f"{kata.modules[0]}.py"
    module.write_text(apply(mutation, module.read_text()))
    before = _digest(module)

    whole = kata.slug in GRADED_WHOLE
    stub = (REPO_ROOT / "exercises" / kata.slug / module.name).read_text()
    only = [] if whole else [_test_reaching(kata, mutation, stub)]
    extra = HANG_ARGS if mutation.hangs else ("-o", "timeout=5", "-o", "kata_hard_timeout=15")
    # A kata graded whole runs the learner's tests in pytest runs of its own (27: nine of
    # them, about 45 s when nothing is broken): it gets twice the time.
    seconds = KATA_SECONDS * 2 if whole else KATA_SECONDS
    result = run_kata(kata, Target(tmp_path), seconds=seconds, extra_args=extra, only=only)

    assert _digest(module) == before, "grading changed the learner's file"
    assert result.duration < seconds, _explain(result)
    assert result.status is not Status.PASSED, _explain(result)
    failed = [t for t in result.tests if t["outcome"] == "failed"]
    messages = "\n".join(t["message"] for t in failed) + "\n" + result.summary
    shown = f"{kata.slug}/{kata.modules[0]}.py"
    assert "Traceback (most recent call last)" not in messages, _explain(result)

    if whole:
        assert all(t["message"] for t in failed), _explain(result)
    elif mutation.expected == "load_error":
        assert failed and all(t["kind"] == "load_error" for t in failed), _explain(result)
        assert shown in messages, _explain(result)
    elif mutation.expected == "missing_name":
        # The grader misses the name, or the learner's own module does (a NameError in it).
        assert any(t["kind"] == "missing_name" or "NameError" in t["message"] for t in failed), (
            _explain(result)
        )
    elif mutation.expected == "no_crash":
        assert result.status is Status.FAILED, _explain(result)
        assert all(t["message"] and t["kind"] != "grader_error" for t in failed), _explain(result)
    elif mutation.expected == "timeout":
        if result.status is Status.CRASHED:
            assert shown in result.summary, _explain(result)
        elif not failed:
            # Grading was stopped before the test's own result was written (a loop held
            # past the engine's stop): the kata's summary is the verdict.
            assert result.status is Status.FAILED and result.summary, _explain(result)
        else:
            assert failed[0]["kind"] == "timeout", _explain(result)
            assert shown in failed[0]["message"], _explain(result)
    elif mutation.expected == "cancellation":
        assert "CancelledError" in messages or any(t["kind"] == "timeout" for t in failed), (
            _explain(result)
        )
    else:  # one of the phrases (`a|b`) the message must contain, with the learner's file
        assert any(phrase in messages for phrase in mutation.expected.split("|")), _explain(result)
        assert shown in messages, _explain(result)


def test_a_broken_kata_does_not_stop_the_others(tmp_path: Path) -> None:
    """In one run, a kata that hangs gets its verdict and the next kata is still graded."""
    broken, fine = KATAS[0], KATAS[1]
    shutil.copytree(REPO_ROOT / "exercises" / broken.slug, tmp_path / broken.slug)
    module = tmp_path / broken.slug / f"{broken.modules[0]}.py"
    hang = next(m for m in MUTATIONS if m.name == "sync_infinite_loop")
    module.write_text(apply(hang, module.read_text()))
    shutil.copytree(REPO_ROOT / "solutions" / fine.slug, tmp_path / fine.slug)
    results = run_katas([broken, fine], Target(tmp_path), jobs=1, seconds=60, extra_args=HANG_ARGS)
    assert results[0].status in (Status.FAILED, Status.CRASHED), _explain(results[0])
    assert results[1].status is Status.PASSED, _explain(results[1])
