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
import itertools
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
        # Entries are (priority, sequence number, job): the queue orders tuples, and the
        # sequence number both keeps equal priorities in arrival order and stops the
        # comparison before it reaches the jobs, which cannot be compared.
        self._queue: asyncio.PriorityQueue[tuple[int, int, Job]] = asyncio.PriorityQueue()
        self._order = itertools.count()

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
        self._queue.put_nowait((job.priority, next(self._order), job))

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
        _priority, _order, job = await self._queue.get()
        return job

    def get_nowait(self) -> Job | None:
        """The most urgent job if one is queued, else None (never waits).

        Example:
            >>> print(JobQueue().get_nowait())
            None
        """
        try:
            _priority, _order, job = self._queue.get_nowait()
        except asyncio.QueueEmpty:
            # get_nowait() raises QueueEmpty rather than returning a marker: an empty
            # queue is not an error here, so it becomes None.
            return None
        return job


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
    # A Barrier of n parties releases its waiters together, when the n-th arrives; it can
    # be used again afterwards, and abort() breaks it for everyone waiting or arriving.
    barrier = asyncio.Barrier(len(machines))
    passed = asyncio.Event()

    async def one(machine: Machine) -> str:
        await machine.prepare()
        # wait() gives each party its own index: exactly one sees 0, once all are through.
        if await barrier.wait() == 0:
            passed.set()
        return await machine.build()

    async def watch_abort() -> None:
        # Whichever comes first: the abort, or every machine through the barrier (after
        # which an abort changes nothing).
        aborted = asyncio.ensure_future(abort.wait())
        released = asyncio.ensure_future(passed.wait())
        try:
            await asyncio.wait({aborted, released}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (aborted, released):
                waiter.cancel()
            await asyncio.gather(aborted, released, return_exceptions=True)
        if abort.is_set() and not passed.is_set():
            # Breaks the barrier for the machines waiting at it, and fails this task, so
            # that the TaskGroup cancels the machines still preparing, at once.
            await barrier.abort()
            raise PhasesAborted("the build was aborted before every machine was prepared")

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(watch_abort())
            tasks = [group.create_task(one(m)) for m in machines]
    except* (PhasesAborted, asyncio.BrokenBarrierError):
        # One PhasesAborted for the caller, whatever mix of the watcher's error and the
        # waiting machines' BrokenBarrierError the group collected.
        raise PhasesAborted("the build was aborted before every machine was prepared") from None
    return [task.result() for task in tasks]


class SlotPool:
    """At most `size` builds at once; knows when the farm is idle."""

    def __init__(self, size: int) -> None:
        # Bounded: releasing more often than acquiring is a bug (a slot returned twice
        # would let size + 1 builds run); BoundedSemaphore raises ValueError at once.
        self._slots = asyncio.BoundedSemaphore(size)
        self._in_use = 0
        # One Condition for "the number of held slots changed": wait_idle() sleeps on it
        # and is woken by every release, then checks its predicate again.
        self._changed = asyncio.Condition()

    @property
    def in_use(self) -> int:
        return self._in_use

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the duration of the `async with` block."""
        await self._slots.acquire()
        self._in_use += 1
        try:
            yield
        finally:
            self._in_use -= 1
            self._slots.release()
            async with self._changed:
                self._changed.notify_all()

    def release(self) -> None:
        """Give a slot back by hand; more releases than acquisitions raise ValueError."""
        self._slots.release()

    async def wait_idle(self) -> None:
        """Return once no slot is held (at once if none is)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._in_use == 0)


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
