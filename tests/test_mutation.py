"""The mutation machinery of `nox -s mutate` (tools/mutation): which mutants a kata gets,
how they are named and judged, the equivalents lists and the recorded scores.

Most tests generate mutants without grading them (cosmic-ray's init on a scratch copy);
the few in TestGrading grade kata 05 for real, as a mutation run does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cosmic_ray.plugins
import pytest
from cosmic_ray.work_db import use_db
from cosmic_ray.work_item import TestOutcome as CrOutcome
from cosmic_ray.work_item import WorkerOutcome, WorkResult
from kata_mutation import check, grade, mutants, run
from kata_mutation.operators import OperatorProvider

from katagrader.manifest import Kata, load_manifest
from katagrader.runner import KataResult, Status
from katagrader.targets import REPO_ROOT

KATAS = load_manifest()
SEMAPHORES = next(k for k in KATAS if k.slug == "05_semaphores")


@pytest.fixture(autouse=True, scope="module")
def asyncio_operators() -> Iterator[None]:
    """The operators as cosmic-ray loads them from the plugin's entry point. `nox -s
    mutate` installs the plugin; the test environment imports it from tools/mutation, so
    its provider is registered here (`nox -s mutate -- --check` checks the entry point)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(cosmic_ray.plugins.OPERATOR_PROVIDERS, "asyncio", OperatorProvider())
        yield


@pytest.fixture(scope="module")
def plan05(tmp_path_factory: pytest.TempPathFactory) -> mutants.Plan:
    """Kata 05's mutants, generated once for the tests that only read them."""
    return _plan(tmp_path_factory.mktemp("plan05"), SEMAPHORES)


def _tree(tmp_path: Path, kata: Kata, edit: Any = None) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(REPO_ROOT / "solutions" / kata.slug, tree / kata.slug)
    if edit is not None:
        for module in (tree / kata.slug).glob("*.py"):
            module.write_text(edit(module.read_text(encoding="utf-8")), encoding="utf-8")
    return tree


def _plan(tmp_path: Path, kata: Kata, **options: Any) -> mutants.Plan:
    tree = _tree(tmp_path, kata, options.pop("edit", None))
    with use_db(str(tmp_path / "session.sqlite")) as database:
        return mutants.plan_session(kata, tree, database, **options)


def _equivalent(mutant: mutants.Mutant, reason: str = "no test can tell") -> mutants.Equivalent:
    return mutants.Equivalent(mutant.id, reason, "test entry")


class TestWhichMutants:
    def test_only_the_learners_bodies_are_mutated(self, plan05: mutants.Plan) -> None:
        """Mutants fall only inside the bodies the stub leaves to the learner: never in
        the ready-made fakes, the signature's defaults, the docstring or `main()`."""
        plan = plan05
        source = (REPO_ROOT / "solutions" / SEMAPHORES.slug / "downloader.py").read_text()
        stub = (REPO_ROOT / "exercises" / SEMAPHORES.slug / "downloader.py").read_text()
        spans = mutants.learner_spans(stub, source)
        lines = source.splitlines()
        signature = next(i for i, line in enumerate(lines, 1) if "async def download_all" in line)
        assert spans and all(first > signature for first, _ in spans)
        assert plan.graded, "kata 05 has mutants to grade"
        assert all(any(a <= m.line <= b for a, b in spans) for m in plan.graded)

    def test_both_families_of_operators_run(self, plan05: mutants.Plan) -> None:
        """cosmic-ray's standard operators and the asyncio plugin both make mutants."""
        plan = plan05
        families = {m.family for m in plan.graded}
        operators = {m.id.operator for m in plan.graded}
        assert families == {"standard", "asyncio"}
        assert "asyncio/AsyncWithToBody" in operators  # `async with semaphore:` dropped
        assert "asyncio/TaskGroupToGather" in operators

    def test_duplicate_comparison_operators_are_excluded(self, plan05: mutants.Plan) -> None:
        """`<` -> `<=` is made once, by asyncio/ComparisonBoundary, not again by the
        standard ReplaceComparisonOperator_Lt_LtE."""
        plan = plan05
        operators = {m.id.operator for m in plan.mutants}
        assert "asyncio/ComparisonBoundary" in operators
        assert "core/ReplaceComparisonOperator_Lt_LtE" not in operators

    def test_operator_selection(self, tmp_path: Path) -> None:
        """`--operators asyncio` grades only the asyncio mutants; the others are skipped,
        not dropped (an equivalents entry for them still counts as matching)."""
        plan = _plan(tmp_path, SEMAPHORES, operators="asyncio")
        assert plan.graded and all(m.family == "asyncio" for m in plan.graded)
        assert any(m.family == "standard" for m in plan.mutants)

    def test_the_session_holds_only_the_graded_mutants_as_pending(self, tmp_path: Path) -> None:
        """Every work item left out has a result already, so `cosmic-ray exec` grades
        exactly the graded mutants."""
        tree = _tree(tmp_path, SEMAPHORES)
        with use_db(str(tmp_path / "s.sqlite")) as database:
            plan = mutants.plan_session(SEMAPHORES, tree, database)
            pending = {item.job_id for item in database.pending_work_items}
        assert pending == {m.job_id for m in plan.graded}


class TestMutantNames:
    def test_names_survive_unrelated_edits(self, tmp_path: Path, plan05: mutants.Plan) -> None:
        """A mutant's name (operator, file, line text before and after) does not change
        when lines are added above it; only its line number moves."""
        plain = plan05
        moved = _plan(tmp_path / "b", SEMAPHORES, edit=lambda text: "# one\n# two\n" + text)
        assert sorted(map(str, (m.id for m in plain.graded))) == sorted(
            map(str, (m.id for m in moved.graded))
        )
        assert {m.line + 2 for m in plain.graded} == {m.line for m in moved.graded}

    def test_change_is_described_by_its_lines(self) -> None:
        """before/after are the changed lines, stripped; the diff names the file and line."""
        before, after, line, diff = mutants.describe_change(
            "a = 1\nif x < 1:\n    y()\n", "a = 1\nif x <= 1:\n    y()\n", "solutions/k/m.py"
        )
        assert (before, after, line) == ("if x < 1:", "if x <= 1:", 2)
        assert "--- a/solutions/k/m.py" in diff and "-if x < 1:" in diff and "+if x <= 1:" in diff


class TestEquivalents:
    def test_an_entry_marks_its_mutant_equivalent(
        self, tmp_path: Path, plan05: mutants.Plan
    ) -> None:
        """A listed mutant is not graded and is counted as equivalent, with its reason."""
        first = plan05.graded[0]
        plan = _plan(tmp_path / "b", SEMAPHORES, equivalents=[_equivalent(first, "same thing")])
        listed = [m for m in plan.mutants if m.id == first.id]
        assert listed and all(m.is_equivalent for m in listed)
        assert all(m.skipped == mutants.SKIP_EQUIVALENT + "same thing" for m in listed)
        assert first.id not in {m.id for m in plan.graded}
        assert plan.unmatched == []

    def test_an_entry_matching_no_mutant_is_reported(self, tmp_path: Path) -> None:
        """An entry whose lines are no longer in the code is reported, not ignored."""
        stale = mutants.Equivalent(
            mutants.MutantId("core/NumberReplacer", "downloader.py", "x = 1", "x = 2"),
            "old",
            "test entry",
        )
        plan = _plan(tmp_path, SEMAPHORES, equivalents=[stale])
        assert plan.unmatched == [stale]

    def test_file_format(self, tmp_path: Path) -> None:
        """The TOML file's entries load with their fields, text compared line by line
        without indentation."""
        path = tmp_path / "equivalent_mutants.toml"
        path.write_text(
            '[[mutant]]\noperator = "core/NumberReplacer"\nfile = "m.py"\n'
            "before = '''\n    if a:\n        b()\n'''\nafter = \"if a:\"\n"
            'reason = "b() does nothing here"\n',
            encoding="utf-8",
        )
        (entry,) = mutants.load_equivalents(SEMAPHORES, path)
        assert entry.id == mutants.MutantId("core/NumberReplacer", "m.py", "if a:\nb()", "if a:")
        assert entry.reason == "b() does nothing here"

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ('operator = "x"\nfile = "m.py"\nbefore = "a"\nafter = "b"\n', "missing ['reason']"),
            (
                'operator = "x"\nfile = "m.py"\nbefore = "a"\nafter = "b"\nreason = "r"\nline = 3\n',
                "unknown ['line']",
            ),
            (
                'operator = "x"\nfile = "m.py"\nbefore = "a"\nafter = "b"\nreason = " "\n',
                "one-line",
            ),
        ],
        ids=["no-reason", "fragile-index", "empty-reason"],
    )
    def test_malformed_entries_are_refused(self, tmp_path: Path, body: str, message: str) -> None:
        """Each entry needs exactly operator, file, before, after and a one-line reason."""
        path = tmp_path / "equivalent_mutants.toml"
        path.write_text("[[mutant]]\n" + body, encoding="utf-8")
        with pytest.raises(mutants.EquivalentsError, match=message.replace("[", r"\[")):
            mutants.load_equivalents(SEMAPHORES, path)


def _result(status: Status, tests: list[dict[str, Any]], **extra: Any) -> KataResult:
    return KataResult(SEMAPHORES, status, "summary", tests=tests, **extra)


def _test(kind: str, outcome: str = "failed") -> dict[str, Any]:
    return {"test": "test_x", "nodeid": "x", "phase": "call", "outcome": outcome, "kind": kind}


class TestVerdicts:
    def test_a_failing_check_kills(self) -> None:
        """A grader test failing for any reason of the learner's code is a kill."""
        for kind in ("wrong_answer", "leak", "timeout", "exception", "load_error"):
            verdict = grade.classify(_result(Status.FAILED, [_test(kind)], returncode=1))
            assert verdict["verdict"] == "killed" and verdict["kind"] == kind

    def test_a_grader_error_is_a_crash_not_a_kill(self) -> None:
        """A grader fixture failing (`grader_error`) says nothing about the mutant."""
        verdict = grade.classify(_result(Status.FAILED, [_test("grader_error")], returncode=1))
        assert verdict["verdict"] == "crashed"

    def test_a_hang_stopped_by_the_time_limit_kills(self) -> None:
        """The kata's time limit ending a hanging mutant is a kill."""
        verdict = grade.classify(_result(Status.CRASHED, [], returncode=None))
        assert verdict["verdict"] == "killed" and verdict["kind"] == "timeout"

    def test_a_process_death_is_a_crash(self) -> None:
        """The grading process dying without any time limit reached is reported apart."""
        verdict = grade.classify(_result(Status.CRASHED, [], returncode=-9))
        assert verdict["verdict"] == "crashed"

    def test_a_pass_survives(self) -> None:
        verdict = grade.classify(_result(Status.PASSED, [_test("", outcome="passed")]))
        assert verdict["verdict"] == "survived"

    def _mutant(self) -> mutants.Mutant:
        return mutants.Mutant("j", mutants.MutantId("core/X", "m.py", "a", "b"), 1, "diff")

    def test_cosmic_ray_results_are_read_back(self) -> None:
        """The verdict line of the test command decides; cosmic-ray's own timeout is a
        kill; a worker failure or a missing verdict is a crash."""
        line = grade.MARKER + json.dumps({"verdict": "survived", "summary": "ok"})
        normal = WorkerOutcome.NORMAL
        cases = [
            (WorkResult(normal, "noise\n" + line, CrOutcome.SURVIVED), "survived"),
            (WorkResult(normal, "timeout", CrOutcome.KILLED), "killed"),
            (WorkResult(normal, "Traceback ...", CrOutcome.KILLED), "crashed"),
            (WorkResult(WorkerOutcome.EXCEPTION, "boom", CrOutcome.INCOMPETENT), "crashed"),
        ]
        for result, expected in cases:
            assert run._result_of(self._mutant(), result).verdict == expected


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Recorded scores in a scratch folder instead of docs/mutation/."""
    monkeypatch.setattr(check, "SCORES", tmp_path / "scores")
    monkeypatch.setattr(run, "SCORES", tmp_path / "scores")
    yield tmp_path / "scores"


def _fake_run(plan: mutants.Plan) -> run.KataRun:
    outcomes = [run.Outcome(m, "killed", {"kind": "wrong_answer"}) for m in plan.graded]
    outcomes[0].verdict = "survived"
    return run.KataRun(SEMAPHORES, plan, outcomes, 12.0, 2, "all", 2.0)


class TestRecordedScores:
    def test_scores_that_match_the_code_pass_the_check(
        self, plan05: mutants.Plan, recorded: Path
    ) -> None:
        """A fresh record of the current mutants is consistent."""
        run.record(_fake_run(plan05))
        assert check.check_kata(SEMAPHORES) == []

    def test_stale_scores_are_reported(self, plan05: mutants.Plan, recorded: Path) -> None:
        """Scores measured on other mutants (the solution changed since) are reported."""
        path = run.record(_fake_run(plan05))
        data = json.loads(path.read_text())
        data["mutants"][0]["after"] = "something else"
        data["inputs"] = "the digest of older code"
        path.write_text(json.dumps(data))
        (problem,) = check.check_kata(SEMAPHORES)
        assert "re-run `nox -s mutate -- 05`" in problem

    def test_unchanged_inputs_need_no_generation(
        self, plan05: mutants.Plan, recorded: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Scores recorded from the very inputs there are now (same digest of solution,
        stub, equivalents and operators) are consistent without generating mutants: the
        check costs nothing for the katas nobody touched."""
        run.record(_fake_run(plan05))

        def refuse(*args: object) -> None:
            raise AssertionError("generated mutants although nothing changed")

        monkeypatch.setattr(check, "generate", refuse)
        assert check.check_kata(SEMAPHORES) == []

    def test_changed_inputs_with_the_same_mutants_pass(
        self, plan05: mutants.Plan, recorded: Path
    ) -> None:
        """A change that leaves the mutants as they were (a comment, code outside the
        learner's bodies) does not make the scores stale."""
        path = run.record(_fake_run(plan05))
        data = json.loads(path.read_text())
        data["inputs"] = "the digest before a comment was edited"
        path.write_text(json.dumps(data))
        assert check.check_kata(SEMAPHORES) == []

    def test_missing_scores(self, recorded: Path) -> None:
        """No record is a problem for `--check`, not for the verify test below."""
        assert "no recorded scores" in check.check_kata(SEMAPHORES)[0]
        assert check.check_kata(SEMAPHORES, require_scores=False) == []

    def test_table_comes_from_the_records(self, plan05: mutants.Plan, recorded: Path) -> None:
        """The measurements table gives each family's counts and score from the record."""
        fake = _fake_run(plan05)
        run.record(fake)
        table = check.scores_table([SEMAPHORES])
        standard = fake.counts("standard")
        row = next(r for r in table.splitlines() if "| standard |" in r)
        assert f"| {standard['mutants']} | {standard['killed']} |" in row

    def test_report_shows_each_survivor_with_its_diff(
        self, plan05: mutants.Plan, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The report prints the counts apart per family and each survivor's file:line
        and diff."""
        fake = _fake_run(plan05)
        run.print_report(fake)
        out = capsys.readouterr().out
        survivor = fake.outcomes[0].mutant
        assert f"solutions/05_semaphores/{survivor.id.file}:{survivor.line}" in out
        assert survivor.diff in out
        assert "standard" in out and "asyncio" in out


@pytest.mark.timeout(120)  # generating a big kata's mutants takes cosmic-ray seconds
@pytest.mark.parametrize("kata", KATAS, ids=lambda k: k.slug)
def test_equivalents_and_recorded_scores_match_the_code(kata: Kata) -> None:
    """Every equivalents entry still matches a mutant, and recorded scores (where a kata
    has them) were measured on the mutants the code has now."""
    if not kata.supported_here:
        pytest.skip(f"{kata.slug} needs Python {kata.min_python_text}+")
    problems = check.check_kata(kata, require_scores=False)
    assert not problems, "\n".join(problems)


@pytest.mark.timeout(150)  # each test grades kata 05 in child processes
class TestGrading:
    """The test command cosmic-ray runs for each mutant, on kata 05 for real."""

    def _grade(self, tree: Path, seconds: float = 60) -> tuple[int, dict[str, Any]]:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "kata_mutation.grade",
                SEMAPHORES.slug,
                "--tree",
                str(tree),
                "--seconds",
                str(seconds),
            ],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env=run._child_env(),
            timeout=120,
        )
        line = next(x for x in done.stdout.splitlines() if x.startswith(grade.MARKER))
        return done.returncode, json.loads(line[len(grade.MARKER) :])

    def test_the_solution_survives(self, tmp_path: Path) -> None:
        """The unmutated solution passes: exit status 0, verdict survived."""
        status, verdict = self._grade(_tree(tmp_path, SEMAPHORES))
        assert (status, verdict["verdict"]) == (0, "survived"), verdict

    def test_a_wrong_mutant_is_killed(self, tmp_path: Path) -> None:
        """Dropping the semaphore is caught by a grader test: exit status 1, killed."""
        tree = _tree(tmp_path, SEMAPHORES, lambda t: t.replace("async with semaphore:", "if 1:"))
        status, verdict = self._grade(tree)
        assert (status, verdict["verdict"]) == (1, "killed"), verdict

    def test_a_hanging_mutant_is_stopped_by_the_time_limit(self, tmp_path: Path) -> None:
        """A mutant that blocks forever is ended by the kata's time limit and killed."""
        hang = "import time\n        time.sleep(3600)\n        async with semaphore:"
        tree = _tree(tmp_path, SEMAPHORES, lambda t: t.replace("async with semaphore:", hang))
        status, verdict = self._grade(tree, seconds=5)
        assert (status, verdict["verdict"], verdict["kind"]) == (1, "killed", "timeout"), verdict

    @pytest.mark.timeout(180)  # a whole (small) mutation run: several grading processes
    def test_a_run_grades_a_copy_and_leaves_the_solution_alone(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A whole run through cosmic-ray (init, exec on two HTTP workers, the test
        command, the verdicts) on one standard mutant of kata 05: it is killed, and the
        repository's solution and the scratch copies are byte for byte the solution."""
        monkeypatch.setattr(run, "SCRATCH", tmp_path / "scratch")
        solution = REPO_ROOT / "solutions" / SEMAPHORES.slug / "downloader.py"
        before = solution.read_bytes()
        outcome = run.mutate_kata(
            SEMAPHORES, jobs=2, operators=r"^core/ReplaceComparisonOperator_Lt_Gt$", echo=print
        )
        assert [o.verdict for o in outcome.outcomes if o.mutant.skipped is None] == ["killed"]
        assert solution.read_bytes() == before
        copies = list((tmp_path / "scratch" / SEMAPHORES.slug).glob("w*/tree/*/downloader.py"))
        assert len(copies) == 2
        for copy in copies:
            assert copy.read_bytes() == before, f"{copy}: cosmic-ray did not restore its copy"

    def test_no_stale_bytecode_between_mutants(self, tmp_path: Path) -> None:
        """Two mutants of the same size with the same modification time (cosmic-ray
        rewrites the file within a second) are each graded as they are, not from the
        bytecode cached for the one before."""
        tree = _tree(tmp_path, SEMAPHORES)
        module = tree / SEMAPHORES.slug / "downloader.py"
        solution = module.read_text(encoding="utf-8")
        mutant = solution.replace("if limit < 1:", "if limit > 1:")
        assert len(mutant) == len(solution) and mutant != solution
        stamp = module.stat().st_mtime_ns
        module.write_text(mutant, encoding="utf-8")
        os.utime(module, ns=(stamp, stamp))
        assert self._grade(tree)[1]["verdict"] == "killed"
        module.write_text(solution, encoding="utf-8")
        os.utime(module, ns=(stamp, stamp))
        assert self._grade(tree)[1]["verdict"] == "survived"
