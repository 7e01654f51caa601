"""Black-box tests of the runner: code that kills, skips, floods or hangs its grading
process never produces a pass, always produces a verdict within the time limit, and the
learner's folder is left exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

from demo_kata import DemoKata

from katagrader.runner import Status

GRADER = """
@pytest.mark.task(1)
def test_answer() -> None:
    \"\"\"answer() is 42.\"\"\"
    assert demo.answer() == 42, "answer() should be 42"
"""


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_correct_code_passes_and_files_are_untouched(kata: DemoKata) -> None:
    """A correct answer passes, and grading writes nothing into the learner's folder."""
    kata.write("def answer() -> int:\n    return 42\n", GRADER)
    before = _snapshot(kata.target)
    result = kata.grade()
    assert result.status is Status.PASSED, result.summary
    assert _snapshot(kata.target) == before


def test_os_exit_at_import_is_a_crash_not_a_pass(kata: DemoKata) -> None:
    """os._exit(0) while the module loads ends the process "successfully": still no pass."""
    kata.write("import os\nos._exit(0)\ndef answer() -> int:\n    return 42\n", GRADER)
    result = kata.grade()
    assert result.status is Status.CRASHED
    assert "ended unexpectedly (os._exit() or a crash?)" in result.summary


def test_skipping_its_own_tests_is_a_failure(kata: DemoKata) -> None:
    """pytest.skip() in the learner's module skips the checks: that is never a pass."""
    kata.write(
        "import pytest\npytest.skip('nothing to see', allow_module_level=True)\n"
        "def answer() -> int:\n    return 42\n",
        GRADER,
    )
    result = kata.grade()
    assert result.status is Status.FAILED
    assert "skipped" in result.summary


def test_megabytes_of_output_are_cut_to_a_tail(kata: DemoKata) -> None:
    """Printing megabytes costs nothing: the verdict stands and only a tail is kept."""
    kata.write("def answer() -> int:\n    print('x' * 5_000_000)\n    return 41\n", GRADER)
    result = kata.grade(extra_args=("-s",))
    assert result.status is Status.FAILED
    assert len(result.output_tail) < 20_000


def test_gil_holding_hang_is_killed_and_located(kata: DemoKata) -> None:
    """A loop inside one C call ignores pytest-timeout; faulthandler ends the process and
    the verdict names the learner's line."""
    kata.write(
        "import itertools\ndef answer() -> int:\n    return sum(itertools.repeat(1, 10**12))\n",
        GRADER,
    )
    result = kata.grade(extra_args=("-o", "timeout=1", "-o", "kata_hard_timeout=2"))
    assert result.status is Status.CRASHED, result.summary
    assert "01_demo/demo.py, line 3, in answer()" in result.summary


def test_kata_time_limit_stops_everything(kata: DemoKata) -> None:
    """The runner's own limit ends a run that every inner limit missed."""
    kata.write("import time\ndef answer() -> int:\n    time.sleep(60)\n    return 42\n", GRADER)
    result = kata.grade(seconds=3, extra_args=("-o", "timeout=0", "-o", "kata_hard_timeout=0"))
    assert result.status is Status.CRASHED
    assert "stopped after 3 s while `test_answer` was running" in result.summary
    assert result.duration < 20


def test_json_report_has_a_record_per_test(kata: DemoKata) -> None:
    """--kata-report writes each test's outcome, verdict kind, message and task step."""
    kata.write("def answer() -> int:\n    return 41\n", GRADER)
    report = kata.pytester.path / "report.json"
    kata.pytest(f"--kata-report={report}")
    data = json.loads(report.read_text())
    assert data["collected"] == 1
    (test,) = data["tests"]
    assert test["test"] == "test_answer" and test["task"] == 1
    assert test["outcome"] == "failed" and test["kind"] == "wrong_answer"
    assert test["message"] == "answer() should be 42"
