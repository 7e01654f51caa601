"""The pytest plugin that turns a grader run into verdicts.

It selects the tree to grade (`--target`), wraps every grader test in the leak checks,
guards each test with a hard time limit, replaces the traceback of an expected failure by
a one-paragraph message (the traceback is kept with `-v` or an explicit `--tb`), and can
write the results as JSON (collector.py).
"""

from __future__ import annotations

import asyncio
import faulthandler
import functools
import inspect
import os
import re
import sys
import time
from typing import Any

import pytest

from .blocked import stop_reason
from .clocks import fake_clock_note
from .collector import KataResults
from .errors import Kind, LeakDetected, LoadFailed
from .leaks import LeakSettings, run_checked_async, run_checked_sync
from .locations import (
    Location,
    learner_frames_of,
    learner_line_in_other_threads,
    learner_line_in_tasks,
)
from .targets import LearnerModule, Target, current_target, display_path, set_target
from .verdicts import Verdict, classify, is_timeout, with_findings

KATA_FOLDER = re.compile(r"^\d{2}_[a-z0-9_]+$")
# What pytest-timeout still prints around a timeout (its thread dump is silenced below):
# two separator lines in the captured output, which only push the verdict down.
_TIMEOUT_DUMP = re.compile(r"\++ Timeout \++\n.*?\++ Timeout \++\n?", re.DOTALL)
_FINDINGS = pytest.StashKey[list[str]]()
_RESULTS = pytest.StashKey["KataResults"]()
_LOOP = pytest.StashKey[asyncio.AbstractEventLoop]()
_HARD_DEADLINE = pytest.StashKey[float]()
_FAKE_CLOCK = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("katas", "grading katas")
    group.addoption(
        "--target",
        default=None,
        help="tree to grade: exercises (default), solutions, or a directory laid out the same "
        "way (also read from KATA_TARGET)",
    )
    group.addoption(
        "--kata-report", default=None, metavar="PATH", help="write the results as JSON to PATH"
    )
    parser.addini(
        "kata_hard_timeout",
        "seconds after which a test that still runs ends the whole process (0: never)",
        default="40",
    )


def _real_stderr(config: pytest.Config) -> Any:
    """The process's own stderr, not the capture file pytest swaps in around a test (a
    dump written there would be lost with the process)."""
    try:
        from _pytest.faulthandler import fault_handler_stderr_fd_key

        return config.stash[fault_handler_stderr_fd_key]
    except (ImportError, KeyError):
        return sys.__stderr__


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> Any:
    """The hard backstop: if one test (setup, call and teardown) outlives
    `kata_hard_timeout`, dump every thread's stack and end the process. It runs in C, so
    it stops a loop that holds the GIL, and a teardown that waits forever for a task
    refusing to be cancelled."""
    seconds = float(item.config.getini("kata_hard_timeout") or 0)
    if seconds <= 0 or not is_grader_test(item):
        return (yield)
    item.stash[_HARD_DEADLINE] = time.monotonic() + seconds
    _arm_hard_stop(item)
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()


def _arm_hard_stop(item: pytest.Item) -> None:
    remaining = max(0.1, item.stash[_HARD_DEADLINE] - time.monotonic())
    faulthandler.dump_traceback_later(remaining, exit=True, file=_real_stderr(item.config))


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node: pytest.Item | pytest.Collector) -> None:
    # pytest's faulthandler plugin cancels the (single, process-wide) dump timer whenever a
    # test fails, which would leave that test's teardown unguarded: arm it again.
    if isinstance(node, pytest.Item) and _HARD_DEADLINE in node.stash:
        _arm_hard_stop(node)


def _quiet_pytest_timeout() -> None:
    """pytest-timeout prints the stack of every other thread (pyleak's watchdog) when a test
    runs out of time, outside pytest's capture when it strikes between phases. The verdict
    already names the learner's line; the dump would bury it."""
    try:
        import pytest_timeout  # type: ignore[import-untyped]
    except ImportError:
        return
    pytest_timeout.dump_stacks = lambda terminal: None


def pytest_configure(config: pytest.Config) -> None:
    _quiet_pytest_timeout()
    # Grading must not write into the learner's folders: no __pycache__ beside their file
    # unless bytecode is sent elsewhere (the runner sets PYTHONPYCACHEPREFIX).
    if sys.pycache_prefix is None:
        sys.dont_write_bytecode = True
    option = config.getoption("target") or os.environ.get("KATA_TARGET")
    try:
        set_target(Target.from_option(option))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    results = KataResults(config)
    config.stash[_RESULTS] = results
    config.pluginmanager.register(results, "kata-results")


def pytest_report_header(config: pytest.Config) -> str:
    return f"kata target: {display_path(current_target().root)}"


def is_grader_test(item: pytest.Item) -> bool:
    return isinstance(item, pytest.Function) and bool(KATA_FOLDER.match(item.path.parent.name))


def kata_of(item: pytest.Item) -> str:
    return item.path.parent.name


def task_step(item: pytest.Item) -> int | None:
    marker = item.get_closest_marker("task")
    return int(marker.args[0]) if marker and marker.args else None


def _leak_settings(item: pytest.Item) -> LeakSettings:
    marker = item.get_closest_marker("leaks")
    return LeakSettings(**marker.kwargs) if marker else LeakSettings()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if is_grader_test(item):
            _wrap_in_leak_checks(item)  # type: ignore[arg-type]


def _import_learner_modules(grader_module: Any) -> None:
    """Import the learner's modules a grader uses before its test body runs. A failure is
    kept by the module and raised, with its message, where the test first uses it."""
    for value in vars(grader_module).values():
        if isinstance(value, LearnerModule):
            try:
                value.load()
            except LoadFailed:
                pass


def _wrap_in_leak_checks(item: pytest.Function) -> None:
    original = item.obj
    settings = _leak_settings(item)
    findings = item.stash.setdefault(_FINDINGS, [])
    grader_file = item.path
    prepare = functools.partial(_import_learner_modules, item.module)

    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def checked_async(**kwargs: Any) -> None:
            item.stash[_LOOP] = loop = asyncio.get_running_loop()
            # Read now: looptime switches the fake clock off once the test is over.
            item.stash[_FAKE_CLOCK] = bool(getattr(loop, "looptime_on", False))
            await run_checked_async(original, kwargs, settings, grader_file, findings, prepare)

        item.obj = checked_async
    else:

        @functools.wraps(original)
        def checked_sync(**kwargs: Any) -> None:
            run_checked_sync(original, kwargs, settings, findings, prepare)

        item.obj = checked_sync


def _verdict(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> Verdict:
    if report.passed:
        return Verdict(Kind.PASSED, "")
    if report.skipped:
        return Verdict(Kind.SKIPPED, str(report.longrepr))
    assert call.excinfo is not None
    if report.when != "call":
        return _fixture_verdict(item, call.excinfo.value, report.when)
    exc = call.excinfo.value
    stuck_at = _where_stuck(item) if is_timeout(exc) else None
    verdict = classify(exc, kata_of(item), task_step(item), stuck_at)
    if isinstance(exc, LeakDetected):
        return verdict  # its message is the findings
    verdict = with_findings(verdict, item.stash.get(_FINDINGS, []))
    return _with_clock_note(item, verdict)


_NOT_ABOUT_TIME = (Kind.NOT_STARTED, Kind.LOAD_ERROR, Kind.MISSING_NAME, Kind.GRADER_ERROR)


def _with_clock_note(item: pytest.Item, verdict: Verdict) -> Verdict:
    """On a failed fake-clock test, point out the learner's wall-clock reads."""
    if verdict.kind in _NOT_ABOUT_TIME or not item.stash.get(_FAKE_CLOCK, False):
        return verdict
    modules = [v for v in vars(item.module).values() if isinstance(v, LearnerModule)]  # type: ignore[attr-defined]
    note = fake_clock_note([m.path for m in modules])
    return Verdict(verdict.kind, f"{verdict.message}\n\n{note}") if note else verdict


def _where_stuck(item: pytest.Item) -> Location | None:
    """After a time limit struck in the event loop itself (waiting for I/O), the learner's
    line is in a suspended task of the test's loop, or in a worker thread."""
    loop = item.stash.get(_LOOP, None)
    found = learner_line_in_tasks(loop) if loop is not None and not loop.is_closed() else None
    return found or learner_line_in_other_threads()


def _fixture_verdict(item: pytest.Item, exc: BaseException, phase: str) -> Verdict:
    """A failure outside the test body: the learner's when their code is to blame (an
    object of theirs failing while collected, an error raised from their file), else the
    grader's."""
    if isinstance(exc, pytest.PytestUnraisableExceptionWarning):
        detail = "\n".join(str(exc).splitlines()[:4])
        return Verdict(
            Kind.LEAK,
            "ERROR DURING CLEANUP: something of yours failed when Python cleaned it up after "
            f"the test (a generator or coroutine closed by the garbage collector):\n{detail}\n"
            "Generators must let GeneratorExit through (clean up in `finally`, never yield "
            "again after it), and coroutines must be awaited.",
        )
    base = classify(exc, kata_of(item), task_step(item))
    if base.kind in (Kind.WRONG_ANSWER, Kind.EXCEPTION) and not learner_frames_of(exc):
        return Verdict(Kind.GRADER_ERROR, f"the grader's {phase} failed: {base.message}")
    return base


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report: pytest.TestReport = yield
    if not is_grader_test(item):
        return report
    if report.when != "call" and report.passed:
        return report
    if stop_reason():  # blocked.py: the loop blocked twice at one line; run no more tests
        item.session.shouldstop = stop_reason() or True
    verdict = _verdict(item, call, report)
    step = task_step(item)
    report.user_properties.extend(
        [("kind", str(verdict.kind)), ("message", verdict.message), ("task", step)]
    )
    item.config.stash[_RESULTS].add(
        {
            "nodeid": report.nodeid,
            "kata": kata_of(item),
            "test": getattr(item, "originalname", item.name),
            "task": step,
            "phase": report.when,
            "outcome": report.outcome,
            "kind": str(verdict.kind),
            "message": verdict.message,
            "duration": round(report.duration, 4),
        }
    )
    config = item.config
    wants_traceback = config.option.verbose > 0 or config.option.tbstyle not in ("auto", None)
    if report.failed:
        if wants_traceback:
            report.sections.append(("kata verdict", verdict.message))
        else:
            report.longrepr = verdict.message
            report.sections = [
                (title, _TIMEOUT_DUMP.sub("", text)) for title, text in report.sections
            ]
    return report
