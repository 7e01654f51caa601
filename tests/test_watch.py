"""Black-box tests of the guided watch session, driven the way a learner uses it: in a
pseudo-terminal (save a file, read the screen, press keys), and through a pipe (the
line-based mode). Each session runs on copies of katas 03 and 04 in a temporary folder,
with its own state folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from katagrader.targets import REPO_ROOT

if sys.platform == "win32":
    pytest.skip("pseudo-terminals are POSIX only", allow_module_level=True)

from terminal import Terminal

pytestmark = pytest.mark.timeout(180)

STUB = REPO_ROOT / "exercises" / "03_coroutines" / "dashboard.py"
SOLUTION = REPO_ROOT / "solutions" / "03_coroutines" / "dashboard.py"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """Katas 03 and 04 as shipped, in a target folder; 01 and 02 recorded as passed, so
    that 03 is the current kata."""
    target = tmp_path / "target"
    for slug in ("03_coroutines", "04_task_groups"):
        shutil.copytree(REPO_ROOT / "exercises" / slug, target / slug)
    state = tmp_path / "state"
    state.mkdir()
    passed = {"status": "passed", "summary": "", "graded_at": "2026-01-01T00:00:00+00:00"}
    (state / "progress.json").write_text(
        json.dumps({"01_iterators": passed, "02_generators": passed})
    )
    return target


def environment(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT / "graders"),
        "KATAS_STATE_DIR": str(tmp_path / "state"),
        "NO_COLOR": "1",
    }


def test_the_session_guides_through_a_kata_in_a_terminal(course: Path, tmp_path: Path) -> None:
    """With no kata named, watch opens on the current one; keys show hints (those seen
    plus the next), the list with status, the solution once it passes, and reset with a
    confirmation and the backup's path; a save regrades; after a pass `n` moves on to the
    next kata; `q` quits."""
    terminal = Terminal(
        [sys.executable, "-m", "katagrader", "watch", f"--target={course}"],
        cwd=REPO_ROOT,
        env=environment(tmp_path),
    )
    try:
        terminal.wait_for("Watching")
        assert terminal.screen().startswith("TODO  03_coroutines"), terminal.screen()

        at = terminal.press("s")
        terminal.wait_for("shown once this kata passes", since=at)
        at = terminal.press("n")
        terminal.wait_for("Pass this kata first", since=at)

        at = terminal.press("h")
        terminal.wait_for("Hint 1/3 for 03_coroutines (new)", since=at)
        at = terminal.press("h")
        terminal.wait_for("Hint 2/3 for 03_coroutines (new)", since=at)
        assert "Hint 1/3 for 03_coroutines:" in terminal.screen()  # seen before, shown again

        at = len(terminal.output)
        shutil.copy(SOLUTION, course / "03_coroutines" / "dashboard.py")
        terminal.wait_for("PASS  03_coroutines", since=at)
        terminal.wait_for("Press n for the next kata, 04_task_groups", since=at)

        at = terminal.press("s")
        terminal.wait_for("how yours differs from solutions/03_coroutines/dashboard.py", since=at)
        terminal.wait_for("(identical)", since=at)

        at = terminal.press("l")
        terminal.wait_for("katas passed.", since=at)
        # Read from the output, not the screen: with 35 katas the list is taller than it.
        listing = terminal.output[at:]
        assert "01_iterators" in listing and "28_pitfall_clinic" in listing, listing
        # The list marks the kata the session is on.
        assert re.search(r"->\s+3\s+03_coroutines", listing), listing

        at = terminal.press("r")
        terminal.wait_for("Press y to reset", since=at)
        at = terminal.press("x")
        terminal.wait_for("Kept your files.", since=at)
        assert (course / "03_coroutines" / "dashboard.py").read_text() == SOLUTION.read_text()

        at = terminal.press("r")
        terminal.wait_for("Press y to reset", since=at)
        at = terminal.press("y")
        terminal.wait_for("Saved your dashboard.py to", since=at)
        assert terminal.screen().startswith("TODO  03_coroutines"), terminal.screen()
        assert (course / "03_coroutines" / "dashboard.py").read_text() == STUB.read_text()
        backups = list((tmp_path / "state" / "backups" / "03_coroutines").glob("*/dashboard.py"))
        assert [b.read_text() for b in backups] == [SOLUTION.read_text()]

        at = len(terminal.output)
        shutil.copy(SOLUTION, course / "03_coroutines" / "dashboard.py")
        terminal.wait_for("PASS  03_coroutines", since=at)
        at = terminal.press("n")
        terminal.wait_for("TODO  04_task_groups", since=at)
        terminal.wait_for("Watching", since=at)
        assert "04_task_groups" in terminal.screen().splitlines()[0]

        at = terminal.press("q")
        terminal.wait_for("Stopped watching.", since=at)
        assert terminal.process.wait(timeout=30) == 0
        assert "Traceback" not in terminal.output
    finally:
        terminal.close()


def test_watch_without_a_terminal_is_line_based(course: Path, tmp_path: Path) -> None:
    """Through a pipe (no terminal), watch grades on every save and prints each verdict
    below the last, with no key handling, and names the next kata after a pass."""
    process = Terminal.piped(
        [sys.executable, "-m", "katagrader", "watch", "03", f"--target={course}"],
        cwd=REPO_ROOT,
        env=environment(tmp_path),
    )
    try:
        process.wait_for("Watching")
        at = len(process.output)
        shutil.copy(SOLUTION, course / "03_coroutines" / "dashboard.py")
        process.wait_for("Passed! Next: nox -s watch -- 04", since=at)
        assert process.output.index("TODO  03_coroutines") < process.output.index("PASS")
        assert "\x1b[2J" not in process.raw
    finally:
        process.close()


KATA05 = REPO_ROOT / "solutions" / "05_semaphores" / "downloader.py"


def _watch_kata05(tmp_path: Path, source: str) -> tuple[Terminal, Path]:
    target = tmp_path / "target05"
    (target / "05_semaphores").mkdir(parents=True)
    answer = target / "05_semaphores" / "downloader.py"
    answer.write_text(source)
    process = Terminal.piped(
        [sys.executable, "-m", "katagrader", "watch", "05", f"--target={target}"],
        cwd=REPO_ROOT,
        env=environment(tmp_path),
    )
    return process, answer


def test_each_grading_starts_afresh(tmp_path: Path) -> None:
    """A grading that blocked the loop (and stopped its kata) leaves nothing behind: the
    next save, with the line fixed, passes."""
    line = "    semaphore = asyncio.Semaphore(limit)\n"
    solution = KATA05.read_text()
    blocking = solution.replace(line, line + "    time.sleep(3600)\n", 1).replace(
        "import asyncio\n", "import asyncio\nimport time\n", 1
    )
    process, answer = _watch_kata05(tmp_path, blocking)
    try:
        process.wait_for("Watching")
        assert "BLOCKED EVENT LOOP" in process.output, process.output
        at = len(process.output)
        answer.write_text(solution)
        process.wait_for("PASS  05_semaphores", since=at)
    finally:
        process.close()


def test_a_save_within_the_same_second_is_graded(tmp_path: Path) -> None:
    """A save that keeps the file's size and its modification second (two quick edits)
    is graded as saved, not from the bytecode of the version before."""
    solution = KATA05.read_text()
    wrong = solution.replace("if limit < 1:", "if limit < 9:", 1)  # same size, rejects 3
    assert len(wrong) == len(solution) and wrong != solution
    process, answer = _watch_kata05(tmp_path, solution)
    try:
        process.wait_for("Watching")
        assert "PASS  05_semaphores" in process.output, process.output
        stamp = answer.stat()
        at = len(process.output)
        answer.write_text(wrong)
        os.utime(answer, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        process.wait_for("FAIL  05_semaphores", since=at)
    finally:
        process.close()
