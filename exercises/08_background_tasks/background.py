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
        # The tasks still running (spawn adds them, task_done removes them).
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
        # TODO: refuse work once closed (close the coroutine, then raise RuntimeError);
        # otherwise create the task, keep it in self._tasks, and have task_done called when
        # it ends.
        raise NotImplementedError("spawn: start the task and keep a reference to it (step 1)")

    def task_done(self, task: asyncio.Task[Any]) -> None:
        """Forget a finished task and log its failure, if it failed.

        Called by the event loop when a spawned task ends (registered in `spawn`).

        Args:
            task: the task that just ended.

        Example:
            A task that raised `OSError("smtp down")` is logged as
            `background task 'welcome-email' failed` at ERROR level, with its traceback.
        """
        # TODO: remove the task from self._tasks (step 1); log its exception, if it raised
        # one, with self.logger.error(..., exc_info=exc) (step 2). Cancelled is not failed.
        raise NotImplementedError("task_done: forget the task and log its failure (steps 1-2)")

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
        # TODO: mark the registry closed, wait up to grace_period for the running tasks,
        # cancel the ones still running and wait until they have finished.
        raise NotImplementedError("aclose: wait, cancel the rest, await them (step 3)")


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
