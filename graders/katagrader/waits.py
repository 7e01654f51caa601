"""What a stuck call was waiting for, read from the asyncio object it awaits.

When a deadline runs out, the innermost frames of the pending tasks often belong to an
asyncio primitive (`Queue.join`, `Event.wait`, `Semaphore.acquire`...). Its state then
says why nothing could ever wake it: a `queue.join()` whose items were taken but never
marked done, an Event nobody set, a Semaphore whose every slot is held. The sentence is
given only when the object's state shows the cause; otherwise there is none.
"""

from __future__ import annotations

import asyncio
import os
import types
from collections.abc import Iterator
from typing import Any

_ASYNCIO = os.path.dirname(asyncio.__file__)


def _frames(awaitable: Any) -> Iterator[types.FrameType]:
    """The frames of a suspended coroutine's await chain, outermost first."""
    seen: set[int] = set()
    current = awaitable.get_coro() if isinstance(awaitable, asyncio.Task) else awaitable
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frame = getattr(current, "cr_frame", None) or getattr(current, "ag_frame", None)
        if frame is not None:
            yield frame
        current = getattr(current, "cr_await", None) or getattr(current, "ag_await", None)


def _queue_cause(queue: asyncio.Queue[Any], method: str) -> str | None:
    unfinished = int(getattr(queue, "_unfinished_tasks", 0))
    waiting = queue.qsize()
    if method == "join":
        taken = unfinished - waiting
        if taken > 0 and waiting == 0:
            return (
                f"`queue.join()` was waiting: {taken} item(s) were taken from the queue but "
                "`task_done()` was never called for them, and join() returns only when every "
                "item put has been marked done. Call `queue.task_done()` once per item taken, "
                "after handling it (in a `finally`, so a failed item counts too)."
            )
        if waiting > 0:
            return (
                f"`queue.join()` was waiting with {waiting} item(s) still in the queue that "
                "nothing was taking: are the workers started, and still running?"
            )
        return None
    if method == "get" and waiting == 0:
        return (
            "`queue.get()` was waiting on an empty queue that nothing put into any more: "
            "stop the consumers once the work is done (cancel them after `join()`, or send "
            "each one a sentinel)."
        )
    if method == "put" and queue.full():
        return (
            f"`queue.put()` was waiting on a full queue ({queue.qsize()} of "
            f"{queue.maxsize}) that nothing was taking from: start the consumers before "
            "filling the queue."
        )
    return None


def _primitive_cause(owner: Any, method: str) -> str | None:
    if isinstance(owner, asyncio.Queue):
        return _queue_cause(owner, method)
    if isinstance(owner, asyncio.Event) and method == "wait" and not owner.is_set():
        return "an `asyncio.Event` was awaited (`event.wait()`) that nothing ever set."
    if isinstance(owner, asyncio.Semaphore) and method == "acquire" and owner.locked():
        return (
            "`semaphore.acquire()` was waiting: every slot of the Semaphore was held. A slot "
            "taken without `async with semaphore:` must be released in a `finally`."
        )
    if isinstance(owner, asyncio.Lock) and method == "acquire" and owner.locked():
        return (
            "`lock.acquire()` was waiting for a Lock that was never released (acquired twice "
            "by the same task, or released nowhere): hold it with `async with lock:`."
        )
    if isinstance(owner, asyncio.Condition) and method in ("wait", "wait_for"):
        return "`condition.wait()` was waiting for a `notify()` that never came."
    return None


def waiting_cause(tasks: list[asyncio.Task[Any]]) -> str | None:
    """The cause an awaited asyncio primitive shows among the pending `tasks`. A consumer
    waiting on an empty queue is what workers do between items, so any other cause (the
    `join()` they were meant to end) is told first."""
    causes: list[tuple[int, str]] = []
    for task in dict.fromkeys(tasks):
        if task.done():
            continue
        for frame in _frames(task):
            if not frame.f_code.co_filename.startswith(_ASYNCIO):
                continue
            method = frame.f_code.co_name
            cause = _primitive_cause(frame.f_locals.get("self"), method)
            if cause:
                causes.append((1 if method == "get" else 0, cause))
                break
    return min(causes)[1] if causes else None
