"""Black-box tests of the verdicts a learner reads after `nox -s grade -- NN`: a blocked
loop becomes a verdict in seconds, naming the line once; findings and module-level
problems are shown once; the earliest failing step comes first; a flood fits on a screen;
a concurrency check shows a timeline of what ran when. Each grades a copy of a kata's
reference solution with one mistake made in it, in a temporary folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from katagrader.targets import REPO_ROOT

pytestmark = pytest.mark.timeout(120)

KATA = "05_semaphores"
SOLUTION = (REPO_ROOT / "solutions" / KATA / "downloader.py").read_text(encoding="utf-8")
SEMAPHORE_LINE = "    semaphore = asyncio.Semaphore(limit)\n"


def answer(tmp_path: Path, source: str) -> Path:
    """A target folder holding `source` as the learner's kata-05 file."""
    folder = tmp_path / "target" / KATA
    folder.mkdir(parents=True)
    (folder / "downloader.py").write_text(source, encoding="utf-8")
    return tmp_path / "target"


def with_line(code: str) -> str:
    """The reference solution with `code` added right after the semaphore is made."""
    assert SEMAPHORE_LINE in SOLUTION
    return SOLUTION.replace(SEMAPHORE_LINE, SEMAPHORE_LINE + code, 1)


def grade(
    target: Path, tmp_path: Path, *options: str, kata: str = "05"
) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT / "graders"),
        "KATAS_STATE_DIR": str(tmp_path / "state"),
        "NO_COLOR": "1",
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "katagrader", "grade", kata, f"--target={target}", *options],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
    )
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    ("code", "line"),
    [
        ("    time.sleep(3600)\n", "time.sleep(3600)"),
        ("    while True:\n        pass\n", "while True:"),
    ],
    ids=["sleep", "busy-loop"],
)
def test_a_blocked_loop_is_a_verdict_in_seconds_naming_the_line_once(
    tmp_path: Path, code: str, line: str
) -> None:
    """A coroutine that never gives the loop back (an hour's `time.sleep`, a busy loop) is
    stopped after a second: the kata FAILs (not CRASH) within 5 s of wall time, the blocking
    line is named once, and the checks that would block there again are not run."""
    source = with_line(code).replace("import asyncio\n", "import asyncio\nimport time\n", 1)
    report = tmp_path / "report.json"
    result, seconds = grade(answer(tmp_path, source), tmp_path, f"--report={report}")
    out = result.stdout
    assert seconds < 5, f"took {seconds:.1f} s:\n{out}"
    assert out.startswith("FAIL  05_semaphores"), out
    assert "BLOCKED EVENT LOOP" in out and "was stopped there" in out, out
    assert out.count(line) == 1, out
    assert "again, at the same line" in out, out
    assert "grading stopped after 2, as the event loop blocked at the same line twice" in out
    tests = json.loads(report.read_text())["katas"][0]["tests"]
    assert len(tests) == 2 and all(t["kind"] == "timeout" for t in tests), tests


def test_a_module_level_problem_is_reported_once(tmp_path: Path) -> None:
    """A syntax error fails every check; it is printed once, with the count of checks."""
    target = answer(tmp_path, SOLUTION + "\ndef broken(:\n")
    result, _ = grade(target, tmp_path)
    assert result.stdout.count("syntax error") == 1, result.stdout
    assert "  x 10 checks: " in result.stdout, result.stdout


def test_the_earliest_failing_step_comes_first(tmp_path: Path) -> None:
    """With steps 1 and 3 failing (a plain gather: no limit, no cancellation), the first
    verdict shown is a step-1 check, whatever order the tests ran in."""
    plain_gather = (REPO_ROOT / "graders" / KATA / "pitfalls" / "plain_gather.py").read_text()
    result, _ = grade(answer(tmp_path, SOLUTION + "\n" + plain_gather), tmp_path)
    failures = [line for line in result.stdout.splitlines() if line.startswith("  x ")]
    assert failures and failures[0].endswith("(step 1)"), result.stdout
    assert any("(step 3)" in line for line in failures), result.stdout


def test_a_flood_fits_on_one_screen(tmp_path: Path) -> None:
    """An error whose message runs to 300 lines, raised by every check, gives a verdict of
    at most 50 lines that ends by saying how many lines were cut and that -v shows them."""
    flood = "\\n".join(f"detail {n}" for n in range(300))
    source = with_line(f'    raise RuntimeError("{flood}")\n')
    result, _ = grade(answer(tmp_path, source), tmp_path)
    lines = result.stdout.splitlines()
    assert len(lines) <= 50, f"{len(lines)} lines:\n{result.stdout}"
    assert "more lines (`-v` shows all)" in result.stdout, result.stdout
    assert result.stdout.count("your code raised RuntimeError") == 1, result.stdout
    verbose, _ = grade(answer(tmp_path / "v", source), tmp_path, "-v")
    assert "detail 299" in verbose.stdout


def test_a_sequential_answer_shows_a_timeline(tmp_path: Path) -> None:
    """Downloads awaited one at a time: the 4 s check shows, as plain text, one row per
    download over loop time and the expected shape against the observed one, in the
    terminal and in the JSON report."""
    sequential = (
        REPO_ROOT / "graders" / KATA / "pitfalls" / "semaphore_in_the_loop.py"
    ).read_text()
    report = tmp_path / "report.json"
    result, _ = grade(
        answer(tmp_path, SOLUTION + "\n" + sequential), tmp_path, f"--report={report}"
    )
    out = result.stdout
    assert "What was in flight over loop time" in out, out
    rows = [line for line in out.splitlines() if line.strip().startswith("#") and "|" in line]
    assert len(rows) == 10, out
    # One at a time: each row's bar starts where the previous one ended.
    starts = [row.index("=") for row in rows]
    assert starts == sorted(starts) and len(set(starts)) == 10, out
    assert (
        "Expected: ten 1 s downloads, 3 at a time: 4 s; yours: 10 unit(s) of work, one at a "
        "time, 10 s." in out
    ), out
    messages = [t["message"] for t in json.loads(report.read_text())["katas"][0]["tests"]]
    assert any("What was in flight over loop time" in m for m in messages)
    assert "\x1b[" not in out


def test_a_deadline_shows_what_was_in_flight(tmp_path: Path) -> None:
    """Kata 03 done one call after another, users too: step 2's call runs out of time, and
    its verdict shows the calls in flight one at a time instead of guessing at a cause."""
    folder = tmp_path / "target" / "03_coroutines"
    folder.mkdir(parents=True)
    pitfalls = REPO_ROOT / "graders" / "03_coroutines" / "pitfalls"
    (folder / "dashboard.py").write_text(
        (REPO_ROOT / "solutions" / "03_coroutines" / "dashboard.py").read_text()
        + (pitfalls / "sequential_awaits.py").read_text()
        + (pitfalls / "sequential_users.py").read_text()
    )
    result, _ = grade(tmp_path / "target", tmp_path, kata="03")
    out = result.stdout
    assert "did not finish within 10 s of loop time" in out, out
    assert "What was in flight over loop time" in out and "one at a time, 10 s." in out, out
    assert "or is the work running one after another?" not in out, out


def test_repeated_findings_are_shown_once_with_their_count(tmp_path: Path) -> None:
    """Ten coroutines made at one line and never awaited are one finding, counted, and
    checks that found exactly the same are one entry naming how many checks."""
    source = with_line("    for url in urls:\n        client.get(url)  # forgot the await\n")
    result, _ = grade(answer(tmp_path, source), tmp_path)
    out = result.stdout
    assert "10 x UNAWAITED COROUTINE: `ProbedClient.get()` was called" in out, out
    assert out.count("Calling an async function only creates a coroutine object") == len(
        [line for line in out.splitlines() if line.startswith("  x ")]
    ), out
    # Three checks use ten URLs: their messages are identical, so they are one entry.
    assert re.search(r"^  x [2-9] checks: ", out, re.MULTILINE), out
