"""Awaiting the learner's code with a deadline, so that a hang becomes a sentence.

`within(2, crawl(site), what="crawl(site)")` returns the result, or raises
`DeadlineExceeded` naming the learner's line the call was stuck at. On a looptime test the
deadline is in virtual seconds, so a hang is reported at once rather than after 2 s.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable
from typing import TypeVar

from .children import check_finished, enter_scope
from .concurrency import probe_marks, timelines_since
from .errors import DeadlineExceeded
from .locations import Location, where_waiting
from .waits import waiting_cause

T = TypeVar("T")

# After cancelling a late call, how long it may take to unwind before we call it stuck.
CANCEL_GRACE_SECONDS = 1.0
# Real seconds a call may keep a fake-clock loop busy before it is called stalled.
STALL_SECONDS = 3.0


async def _await(awaitable: Awaitable[T], what: str, check: bool, stopped: list[bool]) -> T:
    """Await the call; with `check`, at the very step it returns or raises (before the loop
    runs anything else), every task it started must be done (children.py)."""
    scope = enter_scope(what) if check else None
    try:
        result = await awaitable
    except BaseException as exc:
        if scope is not None and not stopped:
            ending = (
                "ended by cancellation"
                if isinstance(exc, asyncio.CancelledError)
                else f"raised {type(exc).__name__}"
            )
            check_finished(scope, ending)
        raise
    if scope is not None:
        check_finished(scope, "returned")
    return result


async def within(
    seconds: float,
    awaitable: Awaitable[T],
    *,
    what: str,
    stall_seconds: float = STALL_SECONDS,
    tasks_may_outlive: bool = False,
) -> T:
    """Await `awaitable`; after `seconds`, cancel it and explain where it was stuck.

    When the call returns or raises, every task the learner's code started during it must
    already be done; pass `tasks_may_outlive=True` where the kata means tasks to outlive
    the call (a registry of background tasks, a server started by the call).

    On a looptime test the clock only moves while the loop is idle, so code that keeps the
    loop busy (polling with `await asyncio.sleep(0)`) would never reach the deadline; after
    `stall_seconds` of real time it is stopped and reported as such.
    """
    # Set once we cancel the call ourselves (deadline, stall): its unwinding is then
    # reported as a timeout, not as tasks left running.
    stopped: list[bool] = []
    # Always a Task of our own: cancelling it cancels whatever it awaits (a gather, a
    # future), and its await chain leads to the learner's line.
    task: asyncio.Task[T] = asyncio.ensure_future(
        _await(awaitable, what, not tasks_may_outlive, stopped)
    )
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    marks = probe_marks()  # the grader's in-flight probes, to show what this call ran
    stalled: list[Location | None] = []

    def stop_stalled_call() -> None:
        if not task.done():
            stalled.append(where_waiting(task, follow_others=True))
            stopped.append(True)
            task.cancel()

    guard = threading.Timer(stall_seconds, loop.call_soon_threadsafe, [stop_stalled_call])
    if getattr(loop, "looptime_on", False):
        guard.start()
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except BaseException:
        stopped.append(True)  # the grader's own wait was cancelled: not the call's doing
        task.cancel()
        raise
    finally:
        guard.cancel()
        if guard.is_alive():
            guard.join()
    if stalled:
        await asyncio.wait({task}, timeout=CANCEL_GRACE_SECONDS)
        where = f"\n    It was running at {stalled[0]}." if stalled[0] else ""
        raise DeadlineExceeded(
            f"`{what}` kept the event loop busy for {stall_seconds:g} s of real time without "
            f"ever waiting, so the loop's clock stood still.{where}\nA loop that polls with "
            "`await asyncio.sleep(0)` never lets time pass: wait for the thing itself (an "
            "Event, a Condition, a queue) or sleep until it is due."
        )
    if task in done:
        return task.result()

    stuck_at = where_waiting(task, follow_others=True)
    cause = waiting_cause([task, *asyncio.all_tasks()])
    limit = _limit_text(seconds, time.monotonic() - started, getattr(loop, "looptime_on", False))
    stopped.append(True)
    task.cancel()
    await asyncio.wait({task}, timeout=CANCEL_GRACE_SECONDS)
    where = f"\n    It was waiting at {stuck_at}." if stuck_at else ""
    if not task.done():
        raise DeadlineExceeded(
            f"`{what}` did not finish within {limit}, and it kept running after being "
            f"cancelled.{where}\nSomething waits forever and also ignores cancellation: "
            "never catch `asyncio.CancelledError` without re-raising it."
        )
    if not task.cancelled():
        outcome = (
            f"raised {type(task.exception()).__name__}"
            if task.exception() is not None
            else "returned normally"
        )
        raise DeadlineExceeded(
            f"`{what}` did not finish within {limit}; when cancelled it {outcome} "
            f"instead of ending with CancelledError.{where}\nCancellation is how asyncio stops "
            "work (timeouts, TaskGroup, shutdown): if you catch `asyncio.CancelledError`, "
            "clean up and `raise` it again."
        )
    if cause:
        raise DeadlineExceeded(f"`{what}` did not finish within {limit}: {cause}{where}")
    ran = timelines_since(marks)
    if ran:  # the probes show whether the work ran one after another: no guessing
        raise DeadlineExceeded(f"`{what}` did not finish within {limit}.{where}{ran}")
    raise DeadlineExceeded(
        f"`{what}` did not finish within {limit}.{where}\n"
        "Is something awaited that nothing will ever complete (an Event never set, a queue "
        "nobody fills, a task waiting on itself), or is the work running one after another?"
    )


def _limit_text(seconds: float, real: float, fake_clock: bool) -> str:
    """On the fake clock the limit is loop time, which passed in a moment of real time."""
    if fake_clock:
        return f"{seconds:g} s of loop time (the fake clock: that took {real:.2f} s of real time)"
    return f"{seconds:g} s"
