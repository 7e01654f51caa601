"""Coordination: priorities, phases that wait for each other, and a pool of build slots.

A build farm runs jobs by priority, builds in two phases that every machine must finish
together, and limits how many builds run at once.

1. `JobQueue`: `put(job)` queues a job on an `asyncio.PriorityQueue`; `get()` returns the
   job with the lowest `priority` number, jobs of equal priority in the order they were put;
   `get_nowait()` returns None when nothing is queued (catch `asyncio.QueueEmpty`).
2. `run_in_phases(machines, abort)`: every machine runs `prepare()`, waits at an
   `asyncio.Barrier` until all are prepared, then runs `build()`. When `abort` is set before
   everyone is through the barrier, abort the barrier: the waiting machines get
   `asyncio.BrokenBarrierError`, nobody builds, and `run_in_phases` raises `PhasesAborted`.
3. `SlotPool(size)`: `async with pool.slot():` holds one of `size` slots (an
   `asyncio.BoundedSemaphore`, so a release without an acquire raises `ValueError`);
   `await pool.wait_idle()` waits on an `asyncio.Condition` until no slot is held.
"""

from __future__ import annotations

import asyncio
import itertools  # noqa: F401 (useful in step 1)
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Job:
    """A build job. Jobs are not comparable: two jobs cannot be ordered by `<`."""

    name: str
    priority: int  # 0 is the most urgent
    payload: dict[str, str] = field(default_factory=dict, compare=False)


class PhasesAborted(Exception):
    """The phased build was aborted before every machine was prepared."""


class Machine(Protocol):
    """A build machine: prepares (fetches sources), then builds."""

    name: str

    async def prepare(self) -> None: ...

    async def build(self) -> str: ...


class FakeMachine:
    """A machine whose phases take `prepare_s` and `build_s` seconds."""

    def __init__(self, name: str, prepare_s: float = 0.1, build_s: float = 0.2) -> None:
        self.name = name
        self.prepare_s = prepare_s
        self.build_s = build_s

    async def prepare(self) -> None:
        await asyncio.sleep(self.prepare_s)

    async def build(self) -> str:
        await asyncio.sleep(self.build_s)
        return f"{self.name}: built"


class JobQueue:
    """Jobs by priority; equal priorities first come, first served."""

    def __init__(self) -> None:
        # TODO: step 1 (self._queue: an asyncio.PriorityQueue; what makes equal priorities
        # come out in order, without ever comparing two jobs?)
        raise NotImplementedError(
            "Step 1: create the priority queue (and what keeps ties in order)."
        )

    def __len__(self) -> int:
        return self._queue.qsize()

    def put(self, job: Job) -> None:
        """Queue `job`.

        Args:
            job: the job; `job.priority` 0 is taken before 1, and so on.

        Example:
            >>> q = JobQueue(); q.put(Job("docs", 2)); q.put(Job("fix", 0)); len(q)
            2
        """
        # TODO: step 1
        raise NotImplementedError("Step 1: queue the job by priority, ties in arrival order.")

    async def get(self) -> Job:
        """The most urgent job, waiting for one if none is queued.

        Returns:
            The job with the lowest priority number; of equal ones, the first put.

        Example:
            >>> async def demo() -> str:
            ...     q = JobQueue(); q.put(Job("docs", 2)); q.put(Job("fix", 0))
            ...     return (await q.get()).name
            >>> asyncio.run(demo())
            'fix'
        """
        # TODO: step 1
        raise NotImplementedError("Step 1: wait for the most urgent job and return it.")

    def get_nowait(self) -> Job | None:
        """The most urgent job if one is queued, else None (never waits).

        Example:
            >>> print(JobQueue().get_nowait())
            None
        """
        # TODO: step 1
        raise NotImplementedError("Step 1: the most urgent job, or None (asyncio.QueueEmpty).")


async def run_in_phases(machines: Sequence[Machine], abort: asyncio.Event) -> list[str]:
    """Prepare every machine, then build on every machine once all are prepared.

    Args:
        machines: the machines taking part; all of them must be prepared before any builds.
        abort: set it to call the build off; it counts only until everyone is prepared.

    Returns:
        What each machine's `build()` returned, in the order of `machines`.

    Raises:
        PhasesAborted: `abort` was set while some machines were still preparing; no
            machine has built anything, and every machine's work is over.

    Example:
        >>> async def demo() -> list[str]:
        ...     return await run_in_phases([FakeMachine("a"), FakeMachine("b")], asyncio.Event())
        >>> asyncio.run(demo())
        ['a: built', 'b: built']
    """
    # TODO: step 2
    raise NotImplementedError(
        "Step 2: prepare all machines concurrently, wait at an asyncio.Barrier, build; abort "
        "the barrier when `abort` is set and raise PhasesAborted."
    )


class SlotPool:
    """At most `size` builds at once; knows when the farm is idle."""

    def __init__(self, size: int) -> None:
        # TODO: step 3 (self._slots, self._in_use = 0, self._changed)
        raise NotImplementedError(
            "Step 3: a BoundedSemaphore of `size`, a count of held slots and a Condition."
        )

    @property
    def in_use(self) -> int:
        return self._in_use

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the duration of the `async with` block."""
        # TODO: step 3
        raise NotImplementedError("Step 3: acquire a slot, yield, release it and notify.")
        yield  # keeps this an async generator for @asynccontextmanager

    def release(self) -> None:
        """Give a slot back by hand; more releases than acquisitions raise ValueError."""
        # TODO: step 3
        raise NotImplementedError("Step 3: release one slot (BoundedSemaphore raises on extra).")

    async def wait_idle(self) -> None:
        """Return once no slot is held (at once if none is)."""
        # TODO: step 3
        raise NotImplementedError("Step 3: wait on the Condition until no slot is held.")


async def main() -> None:
    queue = JobQueue()
    for job in [Job("docs", 2), Job("hotfix", 0), Job("feature", 1), Job("typo", 2)]:
        queue.put(job)
    print("order:", [(await queue.get()).name for _ in range(4)])
    print(await run_in_phases([FakeMachine(n) for n in "abc"], asyncio.Event()))
    pool = SlotPool(2)

    async def build(n: int) -> None:
        async with pool.slot():
            await asyncio.sleep(0.1 * n)

    tasks = [asyncio.create_task(build(n)) for n in range(4)]
    await asyncio.sleep(0)
    await pool.wait_idle()
    print("idle; all done:", all(t.done() for t in tasks))


if __name__ == "__main__":
    asyncio.run(main())
