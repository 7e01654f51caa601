"""A registry for fire-and-forget work: keep it alive, hear about its failures, close it cleanly.

A web handler answers the user at once and leaves slow chores (a welcome email, an audit
record) to run in the background. `asyncio.create_task()` alone is not enough for that:
the event loop keeps only weak references to tasks, nobody reads their exceptions, and
nobody stops them when the service shuts down. `TaskRegistry` does all three.

1. `spawn`: start a coroutine as a task and keep a strong reference to it until it is done
   (`task_done` forgets it then).
2. `task_done`: log a failed task's exception instead of losing it; a cancelled task is not
   a failure.
3. `aclose`: refuse new work, give running tasks `grace_period` seconds to finish, cancel the
   rest and wait until they have finished cleaning up; return how many were cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from types import TracebackType
from typing import Any


class TaskRegistry:
    """Owns background tasks: keeps them referenced, logs their failures, closes them.

    Use it as `async with TaskRegistry() as registry:`; leaving the block calls
    `aclose(grace_period)`.
    """

    def __init__(self, logger: logging.Logger | None = None, grace_period: float = 5.0) -> None:
        self.logger = logger if logger is not None else logging.getLogger(__name__)
        self.grace_period = grace_period
        # Strong references to the tasks still running: the loop itself only keeps weak ones.
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    def __len__(self) -> int:
        """How many spawned tasks are still running."""
        return len(self._tasks)

    async def __aenter__(self) -> TaskRegistry:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose(self.grace_period)

    def spawn(
        self, coro: Coroutine[Any, Any, Any], *, name: str | None = None
    ) -> asyncio.Task[Any]:
        """Run `coro` in the background and keep it alive until it is done.

        Args:
            coro: the work, e.g. `mailer.send("ada@example.com", "Welcome!")`.
            name: a name for the task, used in the failure log.

        Returns:
            The task; the caller may keep it or drop it.

        Raises:
            RuntimeError: the registry is closed (the coroutine is closed, not left
                un-awaited).

        Example:
            >>> async def demo() -> None:
            ...     async with TaskRegistry() as registry:
            ...         registry.spawn(asyncio.sleep(0.01), name="nap")
            ...         print(len(registry))
            >>> asyncio.run(demo())
            1
        """
        if self._closed:
            # Closing the coroutine marks it as finished: without this, Python would warn
            # that it "was never awaited" when it is garbage-collected.
            coro.close()
            raise RuntimeError("TaskRegistry is closed: no new background work is accepted")
        task = asyncio.create_task(coro, name=name)
        # The loop references a task only weakly (asyncio.all_tasks() is a WeakSet): a
        # task waiting on something only it can reach would be garbage-collected mid-way.
        self._tasks.add(task)
        # The callback runs when the task ends, however it ends.
        task.add_done_callback(self.task_done)
        return task

    def task_done(self, task: asyncio.Task[Any]) -> None:
        """Forget a finished task and log its failure, if it failed.

        Called by the event loop when a spawned task ends (registered in `spawn`).

        Args:
            task: the task that just ended.

        Example:
            A task that raised `OSError("smtp down")` is logged as
            `background task 'welcome-email' failed` at ERROR level, with its traceback.
        """
        # Forget it first, so the registry never grows with finished work.
        self._tasks.discard(task)
        # task.exception() raises CancelledError on a cancelled task, and a cancellation
        # is how we asked it to stop, not a failure.
        if task.cancelled():
            return
        # Reading exception() marks it as retrieved: asyncio will not also print "Task
        # exception was never retrieved" at garbage collection, and we log it ourselves,
        # with the traceback, where the operators look.
        exc = task.exception()
        if exc is not None:
            self.logger.error("background task %r failed", task.get_name(), exc_info=exc)

    async def aclose(self, grace_period: float) -> int:
        """Stop accepting work, wait up to `grace_period` seconds, cancel what is left.

        Args:
            grace_period: how long running tasks may take to finish on their own.

        Returns:
            How many tasks had to be cancelled.

        Example:
            >>> async def demo() -> int:
            ...     registry = TaskRegistry()
            ...     registry.spawn(asyncio.sleep(60))
            ...     return await registry.aclose(grace_period=0.01)
            >>> asyncio.run(demo())
            1
        """
        self._closed = True
        if not self._tasks:
            return 0
        # asyncio.wait never raises the tasks' exceptions (task_done logs them) and, with a
        # timeout, tells us which ones are still running when time is up.
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace_period)
        for task in pending:
            task.cancel()
        if pending:
            # cancel() only requests a stop: the CancelledError is delivered the next time
            # the task runs, and its `finally` blocks may await cleanup. Waiting for them
            # means nothing of ours is still running once aclose() returns.
            await asyncio.wait(pending)
        return len(pending)


class FakeMailer:
    """A mail server that takes `latency` seconds per message."""

    def __init__(self, latency: float = 0.5) -> None:
        self.latency = latency
        self.sent: list[str] = []

    async def send(self, to: str, subject: str) -> None:
        await asyncio.sleep(self.latency)
        if "@" not in to:
            raise ValueError(f"not an email address: {to!r}")
        self.sent.append(f"{to}: {subject}")


async def main() -> None:
    logging.basicConfig(level=logging.INFO)
    mailer = FakeMailer()
    async with TaskRegistry(grace_period=2.0) as registry:
        for user in ["ada@example.com", "grace@example.com", "not-an-address"]:
            registry.spawn(mailer.send(user, "Welcome!"), name=f"welcome:{user}")
        print(f"answered the signup requests; {len(registry)} emails on their way")
    print(f"sent: {mailer.sent}")


if __name__ == "__main__":
    asyncio.run(main())
