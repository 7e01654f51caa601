"""The automatic leak checks that run around every grader test.

pyleak does the detecting (tasks still pending, threads still running, the loop blocked);
this module adds what pyleak does not cover (coroutines never awaited, task exceptions
never retrieved), turns every finding into a sentence that names the learner's line, and
cleans up after a leak so the next test starts from a clean slate.
"""

from __future__ import annotations

import asyncio
import gc
import re
import threading
import traceback
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyleak import (
    EventLoopBlockError,
    TaskLeakError,
    ThreadLeakError,
    no_event_loop_blocking,
    no_task_leaks,
    no_thread_leaks,
)
from pyleak.base import LeakAction
from pyleak.utils import CallerContext

from .blocked import THREAD_NAME, LoopStopper, not_run_error, stop_reason
from .children import Findings, collecting_findings, tracking_tasks
from .errors import LeakDetected
from .locations import Location, created_at, learner_frames, where_waiting
from .targets import current_target

# The default executor's workers (asyncio_N) outlive a test by design; pyleak's own loop
# watchdog and the engine's loop stopper are threads too.
_THREADS_TO_WATCH = re.compile(rf"^(?!asyncio_\d+$)(?!.*\(_monitor_loop\)$)(?!{THREAD_NAME}$).*")
# After cancelling a leaked task, how long it may take to finish.
_CLEANUP_SECONDS = 1.0


@dataclass(frozen=True)
class LeakSettings:
    """Which checks run; set per test with `@pytest.mark.leaks(...)`."""

    tasks: bool = True
    threads: bool = True
    blocking: bool = True
    blocking_threshold: float = 0.3


def _describe(loc: Location | None, fallback: str = "an unknown place") -> str:
    return str(loc) if loc else fallback


def _unawaited_findings(records: list[warnings.WarningMessage]) -> list[str]:
    findings = []
    for record in records:
        text = str(record.message)
        if "was never awaited" not in text:
            continue
        origin = getattr(record.source, "cr_origin", None) or ()
        frames = learner_frames(
            [_summary(filename, lineno, name) for filename, lineno, name in origin]
        )
        name = text.split("'")[1] if text.count("'") >= 2 else "a coroutine"
        where = f" It was created at {frames[0]}." if frames else ""
        findings.append(
            f"UNAWAITED COROUTINE: `{name}()` was called but never awaited, so it never ran.{where}\n"
            "Calling an async function only creates a coroutine object: `await` it, or hand it "
            "to `asyncio.create_task()`/`gather()`/a TaskGroup."
        )
    return findings


def _summary(filename: str, lineno: int, name: str) -> traceback.FrameSummary:
    return traceback.FrameSummary(filename, lineno, name, lookup_line=False)


def _loop_error_findings(contexts: list[dict[str, Any]]) -> list[str]:
    """What reached the loop's exception handler: a task's exception nobody retrieved, or an
    error in a callback (a done callback, call_soon) that nothing else would report."""
    findings = []
    for context in contexts:
        exc = context.get("exception")
        if _is_stream_handler_cancellation(context):
            continue
        message = str(context.get("message", "an error in the event loop"))
        task = context.get("future") or context.get("task")
        where = created_at(task) if isinstance(task, asyncio.Task) else None
        if "never retrieved" in message and exc is not None:
            findings.append(
                f"LOST EXCEPTION: a task failed with {type(exc).__name__}: {exc}, and nothing "
                "ever awaited it, so the error was silently dropped."
                + (f" The task was created at {where}." if where else "")
                + "\nAwait every task you create (or use a TaskGroup) so its errors reach you."
            )
        else:
            detail = f": {type(exc).__name__}: {exc}" if exc is not None else ""
            findings.append(
                f"ERROR IN THE EVENT LOOP: {message}{detail}. asyncio only logged it, so your "
                "code never saw it; a callback (such as a done callback) must not raise."
            )
    return findings


def _is_stream_handler_cancellation(context: dict[str, Any]) -> bool:
    """Python 3.11's `asyncio.start_server` calls `task.exception()` on its handler task in
    a done callback, which raises CancelledError into the loop's handler whenever a
    connection handler is cancelled (a server shut down mid-connection): noise of
    asyncio's, not the learner's error. Every other cancellation that reaches the handler
    is reported."""
    if not isinstance(context.get("exception"), asyncio.CancelledError):
        return False
    handle = context.get("handle")
    callback = getattr(handle, "_callback", None)
    name = getattr(callback, "__qualname__", "")
    return name == "StreamReaderProtocol.connection_made.<locals>.callback"


def _blocking_findings(error: EventLoopBlockError) -> list[str]:
    findings = []
    for block in error.blocking_events:
        frames = learner_frames(block.blocking_stack or [])
        where = frames[-1] if frames else None
        findings.append(
            f"BLOCKED EVENT LOOP: the event loop was blocked for at least {block.duration:.2f} s at "
            f"{_describe(where, 'a line outside your file')}.\n"
            "While a coroutine runs without reaching an `await`, nothing else on the loop can "
            "run. Use the async version (`await asyncio.sleep()`), or move blocking work to a "
            "thread with `await asyncio.to_thread(...)`."
        )
    return findings


async def _task_findings(error: TaskLeakError, already_named: Findings) -> list[str]:
    findings = []
    tasks = [info.task_ref for info in error.leaked_tasks if info.task_ref is not None]
    for task in tasks:
        if task in already_named.reported:
            continue  # named when the call that started it returned
        waiting = where_waiting(task)
        findings.append(
            f"LEAKED TASK: a task was still running when the test finished. It was created at "
            f"{_describe(created_at(task))}"
            + (f" and was waiting at {waiting}" if waiting else "")
            + ".\n"
            "Every task you start must be awaited or cancelled before you return: keep a "
            "reference and await it, or use `async with asyncio.TaskGroup()`."
        )
    # Cancel what leaked so the next test starts clean; a task that swallows
    # cancellation is given a moment and then left to the loop's shutdown.
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=_CLEANUP_SECONDS)
    return findings


def _thread_findings(error: ThreadLeakError) -> list[str]:
    return [
        f"LEAKED THREAD: {error}. A thread you start must be finished and joined before you "
        "return: call `.join()`, or use `with ThreadPoolExecutor() as pool:` so the pool is "
        "shut down."
    ]


def _raise_outcome(primary: BaseException | None, findings: list[str]) -> None:
    """The test's own failure wins (its findings are shown after it); otherwise a leak
    alone fails the test."""
    if primary is not None:
        raise primary
    if findings:
        raise LeakDetected("\n\n".join(findings))


def _check_threads(threads: Any, before: set[threading.Thread]) -> list[str]:
    """pyleak's thread check, skipped (with its grace sleep) when no thread was started."""
    started = set(threading.enumerate()) - before
    if not any(t.is_alive() and _THREADS_TO_WATCH.match(t.name) for t in started):
        return []
    try:
        threads.__exit__(None, None, None)
    except ThreadLeakError as error:
        return _thread_findings(error)
    return []


def _watched_files(grader_file: Path) -> set[str]:
    kata_dir = current_target().root / grader_file.parent.name
    files = {str(p) for p in kata_dir.glob("*.py")}
    return files | {str(grader_file)}


async def _stop_pyleak_watchdog(blocking: Any) -> None:
    """pyleak's __aexit__ joins its watchdog thread from the loop's own thread; a ping the
    watchdog has just sent then waits for the held loop until the join times out (0.3 s a
    test). Asking it to stop and letting the loop answer first ends it within a ping."""
    detector = getattr(blocking, "detector", None)
    thread = getattr(detector, "monitor_thread", None)
    if detector is None or not isinstance(thread, threading.Thread):
        return
    detector.monitoring = False
    for _ in range(100):
        if not thread.is_alive():
            return
        await asyncio.sleep(0)  # the loop answers a pending ping
        thread.join(0.002)


def _freeze_startup_objects() -> None:
    """Move what exists before the first test (pytest, the plugins, the engine) out of the
    collector's sight: the `gc.collect()` after each test then scans only what tests made,
    ~1 ms instead of ~50 ms, and still finds every unawaited coroutine of theirs."""
    if not _FROZEN:
        _FROZEN.append(True)
        gc.freeze()


_FROZEN: list[bool] = []


async def run_checked_async(
    test: Callable[..., Awaitable[Any]],
    kwargs: dict[str, Any],
    settings: LeakSettings,
    grader_file: Path,
    findings: list[str],
    prepare: Callable[[], None] = lambda: None,
) -> None:
    """Run an async test body under the leak checks; findings are appended to `findings`
    and the test's own exception (if any) is re-raised so it is reported first.

    `prepare` (importing the learner's modules) runs inside the task and thread checks but
    before the loop is watched: a slow import is not a blocked event loop. A loop blocked
    far longer than any check needs is stopped there (blocked.py)."""
    if stop_reason():
        raise not_run_error()
    _freeze_startup_objects()
    loop = asyncio.get_running_loop()
    unretrieved: list[dict[str, Any]] = []
    previous_handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: unretrieved.append(context))

    threads = no_thread_leaks(
        action="raise", name_filter=_THREADS_TO_WATCH, exclude_daemon=False, grace_period=0.1
    )
    before = set(threading.enumerate())
    if settings.threads:
        threads.__enter__()
    tasks = no_task_leaks(action="raise", enable_creation_tracking=True)
    await tasks.__aenter__()
    blocking = no_event_loop_blocking(
        action=LeakAction.RAISE,
        threshold=settings.blocking_threshold,
        # Its watchdog sleeps this long between pings, and __aexit__ waits for it: the
        # default 0.05 s cost every test ~40 ms.
        check_interval=0.01,
        caller_context=CallerContext(
            filename=str(grader_file), name="test", files=_watched_files(grader_file)
        ),
    )

    primary: BaseException | None = None
    watching = False
    stopper = LoopStopper(loop, settings.blocking_threshold)
    collected = Findings(findings)
    with (
        warnings.catch_warnings(record=True) as records,
        tracking_tasks(loop),
        collecting_findings(collected),
    ):
        warnings.simplefilter("always", RuntimeWarning)
        try:
            prepare()
            if settings.blocking:
                await blocking.__aenter__()
                watching = True
                with stopper.armed():
                    await test(**kwargs)
            else:
                await test(**kwargs)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # reported after the leak checks, SystemExit included
            primary = exc

        if watching:
            await _stop_pyleak_watchdog(blocking)
            try:
                await blocking.__aexit__(None, None, None)
            except EventLoopBlockError as error:
                if not stopper.fired:  # else it is the block the stopper reports
                    findings.extend(_blocking_findings(error))
        try:
            await tasks.__aexit__(None, None, None)
        except TaskLeakError as error:
            if settings.tasks:
                findings.extend(await _task_findings(error, collected))
            else:
                for info in error.leaked_tasks:
                    if info.task_ref is not None:
                        info.task_ref.cancel()
        gc.collect()
        await asyncio.sleep(0)  # let the exception handler see tasks collected just now
    findings.extend(_unawaited_findings(list(records)))
    findings.extend(_loop_error_findings(unretrieved))
    loop.set_exception_handler(previous_handler)

    if settings.threads:
        findings.extend(_check_threads(threads, before))

    if stopper.fired:
        # Whatever became of the interruption (raised, swallowed, wrapped in a group), the
        # block is the verdict; what it left behind (tasks cut short) is not news.
        findings.clear()
        raise stopper.verdict(f"`{getattr(test, '__name__', 'a test')}`")
    _raise_outcome(primary, findings)


def run_checked_sync(
    test: Callable[..., Any],
    kwargs: dict[str, Any],
    settings: LeakSettings,
    findings: list[str],
    prepare: Callable[[], None] = lambda: None,
) -> None:
    """The same for a plain test: threads and never-awaited coroutines."""
    if stop_reason():
        raise not_run_error()
    _freeze_startup_objects()
    threads = no_thread_leaks(
        action="raise", name_filter=_THREADS_TO_WATCH, exclude_daemon=False, grace_period=0.1
    )
    before = set(threading.enumerate())
    if settings.threads:
        threads.__enter__()
    primary: BaseException | None = None
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always", RuntimeWarning)
        try:
            prepare()
            test(**kwargs)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # reported after the leak checks, SystemExit included
            primary = exc
        gc.collect()
    findings.extend(_unawaited_findings(list(records)))
    if settings.threads:
        findings.extend(_check_threads(threads, before))
    _raise_outcome(primary, findings)
