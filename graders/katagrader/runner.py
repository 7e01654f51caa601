"""Grading katas, each in its own pytest process.

One process per kata means a learner's code that hangs, crashes the interpreter, calls
`os._exit()` or floods the output costs that kata its verdict and nothing else. A kata
passes only when its process wrote a report in which every collected test ran and passed:
a missing report, a skipped test or an empty run is never a pass.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from .blocked import GRADING_STOPPED
from .childreport import problem as report_problem
from .manifest import Kata
from .sanitize import clean, deep_clean
from .targets import REPO_ROOT, Target, display_path

# How long one kata's whole grading may take before its process group is killed. Each
# test also has its own, shorter limits (pytest-timeout, then faulthandler).
DEFAULT_KATA_SECONDS = 120.0
OUTPUT_TAIL_BYTES = 16_000
PYCACHE = REPO_ROOT / ".katas" / "pycache"


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_STARTED = "not_started"
    CRASHED = "crashed"
    SKIPPED = "skipped"  # the kata needs a newer Python than this one
    SUSPECT = "suspect"  # class mode: evidence of tampering (canaries, integrity scan)


@dataclass
class KataResult:
    kata: Kata
    status: Status
    summary: str
    tests: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    duration: float = 0.0
    returncode: int | None = None
    output_tail: str = ""

    @property
    def passed_count(self) -> int:
        return sum(1 for t in self.tests if t["outcome"] == "passed" and t["phase"] == "call")


GRADERS = REPO_ROOT / "graders"


def pytest_command(
    kata: Kata,
    target: Target,
    report: Path,
    graders: Path = GRADERS,
    extra: Sequence[str] = (),
    only: Sequence[str] = (),
) -> list[str]:
    """The pytest run for one kata (or only the named tests of its grader). The config file
    and plugin are named explicitly so a grader tree outside the repository (the engine's
    own tests) is graded the same way."""
    selected = [f"{graders / kata.slug}/{test}" for test in only] or [str(graders / kata.slug)]
    return [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(REPO_ROOT / "pyproject.toml"),
        f"--rootdir={REPO_ROOT}",
        "-p",
        "katagrader.plugin",
        *selected,
        f"--target={target.root}",
        f"--kata-report={report}",
        "-q",
        *extra,
    ]


def run_kata(
    kata: Kata,
    target: Target,
    *,
    seconds: float = DEFAULT_KATA_SECONDS,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    graders: Path = GRADERS,
    memory_mb: int | None = None,
    only: Sequence[str] = (),
    launch: Launcher | None = None,
) -> KataResult:
    """Grade one kata against `target` in a fresh process and judge its report.
    `only` names tests to run (`test_file.py::test_name`) instead of the whole grader.
    `launch` runs the command another way (watch's warm fork server, warm.py)."""
    if not kata.supported_here:
        return KataResult(
            kata,
            Status.SKIPPED,
            f"needs Python {kata.min_python_text}+ (this is {sys.version_info[0]}."
            f"{sys.version_info[1]})",
        )
    with tempfile.TemporaryDirectory(prefix="kata-") as scratch:
        report_path = Path(scratch) / "report.json"
        output_path = Path(scratch) / "output.txt"
        started = time.monotonic()
        command = pytest_command(kata, target, report_path, graders, extra_args, only)
        if memory_mb and os.name == "posix":
            command = [sys.executable, "-m", "katagrader.limits", str(memory_mb), "--", *command]
        returncode, timed_out = (launch or _run_isolated)(
            command,
            output_path,
            seconds,
            env,
        )
        duration = time.monotonic() - started
        output = clean(_tail(output_path))
        report = deep_clean(_read_report(report_path))  # learner text, safe to print
    malformed = report_problem(report) if report is not None else None
    if malformed:
        # The report is the learner's word too: never judge one of the wrong shape.
        result = KataResult(kata, Status.CRASHED, f"the grading report is malformed: {malformed}.")
    else:
        result = judge(kata, report, returncode, timed_out, output, seconds, target)
    result.duration = duration
    result.returncode = returncode
    result.output_tail = output
    return result


def run_katas(
    katas: Sequence[Kata], target: Target, *, jobs: int = 0, **options: Any
) -> list[KataResult]:
    """Grade several katas, `jobs` processes at a time (default: one per core)."""
    workers = jobs or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda k: run_kata(k, target, **options), katas))


# Runs a grading command with its output to a file: (return code, or None when it was
# stopped at the time limit; whether it was).
Launcher = Callable[[list[str], Path, float, "dict[str, str] | None"], tuple[int | None, bool]]


def _run_isolated(
    command: list[str], output_path: Path, seconds: float, env: dict[str, str] | None
) -> tuple[int | None, bool]:
    """Run `command` in its own process group with output to a file; kill the whole group
    on timeout and afterwards (a learner's stray child processes die with it)."""
    # `env` may name another bytecode cache (class mode keeps one per batch).
    child_env = {**os.environ, "PYTHONPYCACHEPREFIX": str(PYCACHE), **(env or {})}
    child_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(GRADERS), child_env.get("PYTHONPATH")) if p
    )
    # Bytecode (pytest's rewritten modules too) goes to a cache outside the graded tree, so
    # start-up stays fast and the learner's folders are never written to.
    child_env.pop("PYTHONDONTWRITEBYTECODE", None)
    posix = os.name == "posix"
    with output_path.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=child_env,
            start_new_session=posix,
            creationflags=0 if posix else subprocess.CREATE_NEW_PROCESS_GROUP,  # type: ignore[attr-defined]
        )
        timed_out = False
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            # Also when this thread is interrupted (Ctrl-C, an outer time limit): never
            # leave a grading process, or anything it started, running.
            _kill_group(process)
            process.wait()
    return (None if timed_out else process.returncode), timed_out


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    if os.name == "posix":
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    elif process.poll() is None:
        process.kill()


def _tail(path: Path) -> str:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - OUTPUT_TAIL_BYTES))
        text = handle.read().decode("utf-8", errors="replace")
    return ("[...]\n" + text) if size > OUTPUT_TAIL_BYTES else text


def _read_report(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # a forged report may nest without end
        return None
    return data if isinstance(data, dict) else None


_FAULTHANDLER_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>\S+)')


def _hang_location(output: str, target: Target) -> str | None:
    """The learner's line in a faulthandler dump (a loop that held the GIL until killed)."""
    if "Timeout (" not in output:
        return None
    for match in _FAULTHANDLER_FRAME.finditer(output):
        if target.contains(match["file"]):
            return f"{display_path(match['file'])}, line {match['line']}, in {match['func']}()"
    return None


def _ended_early(
    kata: Kata,
    report: dict[str, Any],
    output: str,
    target: Target | None,
    timed_out: bool,
    seconds: float,
) -> KataResult:
    """The process died mid-run: keep the verdicts of the tests that finished, and say
    which test was running and where the learner's code was."""
    running = str(report.get("running") or "").rsplit("::", 1)[-1]
    where = _hang_location(output, target) if target else None
    if timed_out:
        how = f"grading was stopped after {seconds:g} s"
    elif "Timeout (" in output:
        how = "the test outlived the hard time limit, so the grading process was ended"
    else:
        how = "the grading process ended unexpectedly (os._exit() or a crash?)"
    summary = f"{how} while `{running}` was running" if running else how
    summary += f": your code was at {where}." if where else "."
    tests = [t for t in report.get("tests", []) if isinstance(t, dict)]
    return KataResult(kata, Status.CRASHED, summary, tests=tests)


def judge(
    kata: Kata,
    report: dict[str, Any] | None,
    returncode: int | None,
    timed_out: bool,
    output: str,
    seconds: float,
    target: Target | None = None,
) -> KataResult:
    """The kata's status from what its process left behind; anything odd is a failure."""
    if report is not None and not report.get("complete", True):
        return _ended_early(kata, report, output, target, timed_out, seconds)
    if timed_out:
        return KataResult(
            kata,
            Status.CRASHED,
            f"grading did not finish within {seconds:g} s and was stopped. Something in your "
            "code runs forever and cannot be interrupted.",
        )
    if report is None:
        where = _hang_location(output, target) if target else None
        if where:
            summary = (
                f"your code hung at {where} without ever letting Python interrupt it (a tight "
                "loop inside one C call), so the grading process was ended."
            )
        elif "Timeout (" in output:  # faulthandler's dump, with no line of the learner's
            summary = (
                "a test hung past the hard time limit, so the grading process was ended. None "
                "of your lines was running at that moment: it was waiting on something (a "
                "thread, a child process, a lock) that never finished."
            )
        else:
            summary = (
                f"the grading process ended (exit code {returncode}) before it could report "
                "any result. Does your code call os._exit(), crash the interpreter, or kill "
                "its own process?"
            )
        return KataResult(kata, Status.CRASHED, summary)

    tests = [t for t in report.get("tests", []) if isinstance(t, dict)]
    errors = list(report.get("errors", []))
    collected = int(report.get("collected", -1))
    calls = [t for t in tests if t.get("phase") == "call"]
    problems = [t for t in tests if t.get("outcome") != "passed"]
    result = KataResult(kata, Status.FAILED, "", tests=tests, errors=errors)
    if errors:
        result.summary = "the grader could not be collected (this is a bug in the grader)."
    elif collected <= 0 or not calls:
        result.summary = "no test ran, so nothing was checked; that is never a pass."
    elif any(t.get("outcome") == "skipped" for t in tests):
        result.summary = "a test was skipped; a skipped check never counts as passed."
    elif any(GRADING_STOPPED in str(t.get("message")) for t in problems):
        # blocked.py stopped the session: the loop blocked twice at the same line.
        passed = sum(1 for t in calls if t.get("outcome") == "passed")
        result.summary = (
            f"{passed}/{collected} checks passed; grading stopped after {len(calls)}, "
            "as the event loop blocked at the same line twice."
        )
    elif len(calls) < collected:
        result.summary = f"only {len(calls)} of {collected} tests ran."
    elif problems:
        if all(t.get("kind") == "not_started" for t in problems) and not any(
            t.get("outcome") == "passed" for t in calls
        ):
            result.status = Status.NOT_STARTED
            result.summary = (
                f"not started: read exercises/{kata.slug}/README.md, then edit the TODOs."
            )
        else:
            failed = len({t["nodeid"] for t in problems})
            result.summary = f"{len(calls) - failed}/{len(calls)} checks passed."
    elif report.get("exitstatus") != 0:
        result.summary = f"pytest exited with status {report.get('exitstatus')}."
    else:
        result.status = Status.PASSED
        result.summary = f"all {len(calls)} checks passed."
    return result
