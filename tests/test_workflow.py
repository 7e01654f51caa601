"""Black-box tests of the learner's commands (`python -m katagrader ...`, which the nox
sessions call): hints, progress, reset, solution and watch. Each runs on a copy of a kata
in a temporary folder with its own state folder, never on the real exercises."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest

from katagrader.manifest import load_manifest
from katagrader.report import SCHEMA_PATH
from katagrader.targets import REPO_ROOT
from katagrader.workflow import pristine_stub

# Each test runs the CLI, which grades a kata in a child process.
pytestmark = pytest.mark.timeout(150)

KATA = "03_coroutines"
STUB = REPO_ROOT / "exercises" / KATA / "dashboard.py"
SOLUTION = REPO_ROOT / "solutions" / KATA / "dashboard.py"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT / "graders"),
        "KATAS_STATE_DIR": str(tmp_path / "state"),
        "NO_COLOR": "1",
    }


def katagrader(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "katagrader", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def target_with(tmp_path: Path, source: Path) -> Path:
    target = tmp_path / "target"
    (target / KATA).mkdir(parents=True)
    shutil.copy(source, target / KATA / "dashboard.py")
    return target


def test_hints_come_one_at_a_time_and_stay_readable(env: dict[str, str]) -> None:
    """Each call shows the hints seen so far plus the next one; after the last, all of
    them again and a sentence saying that was all."""
    outputs = [katagrader(env, "hint", "03").stdout for _ in range(4)]
    assert outputs[0].startswith("Hint 1/3 for 03_coroutines (new):")
    assert "Hint 2/3" not in outputs[0]
    assert outputs[1].startswith("Hint 1/3 for 03_coroutines:")
    assert "Hint 2/3 for 03_coroutines (new):" in outputs[1]
    assert "Hint 1/3" in outputs[2] and "Hint 3/3 for 03_coroutines (new):" in outputs[2]
    for number in (1, 2, 3):
        assert f"Hint {number}/3 for 03_coroutines:" in outputs[3]
    assert "(new)" not in outputs[3]
    assert "That is all 3 hints for 03_coroutines" in outputs[3]


def test_an_ambiguous_prefix_lists_only_its_matches(env: dict[str, str]) -> None:
    """`as` matches the asgi and async katas: the error lists those and no other."""
    result = katagrader(env, "grade", "as")
    assert result.returncode == 2
    listed = [line.split()[1] for line in result.stderr.splitlines() if line.startswith("  ")]
    assert listed and all(slug.split("_", 1)[1].startswith("as") for slug in listed), listed
    assert "03_coroutines" not in result.stderr and "is ambiguous" in result.stderr


def test_unknown_kata_lists_the_valid_ones(env: dict[str, str]) -> None:
    """A topic that matches nothing is an error listing the katas."""
    result = katagrader(env, "hint", "nonsense")
    assert result.returncode == 2
    assert "matches no kata" in result.stderr and "03_coroutines" in result.stderr


def test_grade_records_progress(env: dict[str, str]) -> None:
    """Grading the exercises is recorded; progress shows it and points at the kata."""
    katagrader(env, "grade", "03")
    table = katagrader(env, "progress").stdout
    assert "03_coroutines" in table and "not started" in table
    assert "Current kata: 03_coroutines" in table and "After it: 04_task_groups" in table


def test_reset_backs_up_the_learners_file(env: dict[str, str], tmp_path: Path) -> None:
    """reset restores the stub and keeps the learner's file in a backup it names."""
    target = target_with(tmp_path, SOLUTION)
    result = katagrader(env, "reset", "03", f"--target={target}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (target / KATA / "dashboard.py").read_text() == STUB.read_text()
    backups = list((tmp_path / "state" / "backups" / KATA).glob("*/dashboard.py"))
    assert len(backups) == 1 and backups[0].read_text() == SOLUTION.read_text()
    assert "Saved your dashboard.py to" in result.stdout


def test_solution_is_refused_before_a_pass(env: dict[str, str], tmp_path: Path) -> None:
    """The reference solution stays hidden while the kata does not pass."""
    target = target_with(tmp_path, STUB)
    result = katagrader(env, "solution", "03", f"--target={target}")
    assert result.returncode == 1
    assert "does not pass yet" in result.stdout
    assert "TaskGroup() as group" not in result.stdout


def test_solution_shows_the_diff_first_and_the_file_on_request(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Once the kata passes, the diff against the learner's file is shown; the whole
    reference file only with --full, after the diff."""
    target = target_with(tmp_path, SOLUTION)
    (target / KATA / "dashboard.py").write_text(
        SOLUTION.read_text().replace("# ", "#  ", 1), encoding="utf-8"
    )
    result = katagrader(env, "solution", "03", f"--target={target}")
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("==> how yours differs from"), result.stdout
    assert "--- yours:" in result.stdout and "+++ reference:" in result.stdout
    assert "--full" in result.stdout
    assert result.stdout.count("TaskGroup() as group") <= 1  # at most a diff line, not the file
    full = katagrader(env, "solution", "03", f"--target={target}", "--full").stdout
    assert full.index("--- yours:") < full.index("==> solutions/03_coroutines/dashboard.py")
    assert SOLUTION.read_text().strip() in full


def test_reset_then_progress_agree(env: dict[str, str], tmp_path: Path) -> None:
    """A reset forgets the kata's recorded result: progress no longer counts it as
    passed, and the current kata and the one after it agree with the table. (The
    exercise file is the shipped stub, so the reset itself changes no file.)"""
    if STUB.read_text(encoding="utf-8") != pristine_stub(STUB):
        pytest.skip("exercises/03_coroutines has been edited here; the reset would restore it")
    state = tmp_path / "state"
    state.mkdir()
    record = {"status": "passed", "summary": "", "graded_at": "2026-01-01T00:00:00+00:00"}
    (state / "progress.json").write_text(json.dumps({KATA: record}))
    total = len(load_manifest())
    before = katagrader(env, "progress").stdout
    assert f"1/{total} katas passed." in before, before
    assert "Current kata: 01_iterators" in before and "After it: 02_generators" in before
    reset = katagrader(env, "reset", "03")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert "Forgot the last result of 03_coroutines" in reset.stdout
    after = katagrader(env, "progress").stdout
    assert f"0/{total} katas passed." in after, after
    row = next(line for line in after.splitlines() if "03_coroutines" in line)
    assert "passed" not in row and "not graded" in row, row
    assert "Current kata: 01_iterators" in after and "After it: 02_generators" in after


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_watch_grades_again_after_a_save(env: dict[str, str], tmp_path: Path) -> None:
    """watch grades at start, again when the file changes, and stops cleanly on Ctrl-C."""
    target = target_with(tmp_path, STUB)
    process = subprocess.Popen(
        [sys.executable, "-m", "katagrader", "watch", "03", f"--target={target}"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    seen: list[str] = []

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline() if process.stdout else ""
            seen.append(line)
            if text in line:
                return
        raise AssertionError(f"never saw {text!r}; output: {''.join(seen)}")

    try:
        wait_for("Watching")
        assert any("TODO" in line for line in seen)
        shutil.copy(SOLUTION, target / KATA / "dashboard.py")
        wait_for("PASS")
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "Stopped watching." in output and "Traceback" not in output


def test_grade_writes_machine_readable_results(env: dict[str, str], tmp_path: Path) -> None:
    """grade writes a JSON report valid against its schema, JUnit XML, Gradescope's format
    and a job-summary table, and an untouched stub is a failure in each of them."""
    summary = tmp_path / "summary.md"
    env = {**env, "GITHUB_STEP_SUMMARY": str(summary)}
    paths = {name: tmp_path / name for name in ("report.json", "junit.xml", "gradescope.json")}
    result = katagrader(
        env,
        "grade",
        "03",
        f"--report={paths['report.json']}",
        f"--junit={paths['junit.xml']}",
        f"--gradescope={paths['gradescope.json']}",
    )
    assert result.returncode == 1
    report = json.loads(paths["report.json"].read_text())
    jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text()))
    assert report["passed"] is False and report["summary"]["not_started"] == 1
    suite = ElementTree.parse(paths["junit.xml"]).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == suite.get("tests") != "0"
    assert json.loads(paths["gradescope.json"].read_text())["score"] == 0
    assert "| `03_coroutines` | ⬜ not_started |" in summary.read_text()
