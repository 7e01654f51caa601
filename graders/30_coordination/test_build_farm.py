"""Grades exercises/30_coordination/build_farm.py: a priority queue with stable ties, phases
behind a barrier that can be aborted, and a pool of bounded slots that knows when it is idle.

Everything runs on a fake loop clock (looptime), so each time below is exact; the grader's
machines log when each phase starts and ends.

Requirements:
- 1: the lowest priority number comes out first -> test_jobs_come_out_by_priority
- 1: equal priorities in the order they were put (jobs are not comparable) -> test_equal_priorities_keep_their_order
- 1: ties stay in order when puts and gets interleave (the tie-breaker never repeats) -> test_ties_stay_in_order_when_puts_and_gets_interleave
- 1: get() waits for a job when none is queued -> test_get_waits_for_a_job
- 1: get_nowait() gives None on an empty queue, the job otherwise -> test_get_nowait_gives_none_when_empty
- 2: machines prepare concurrently -> test_machines_prepare_together
- 2: no machine builds before every machine is prepared -> test_nobody_builds_before_everyone_is_prepared
- 2: results in the order of the machines -> test_results_come_in_machine_order
- 2: a single machine goes through the barrier alone -> test_a_single_machine_builds
- 2: an abort during preparation raises PhasesAborted at once, nobody builds, nothing left running -> test_abort_during_preparation_stops_everything
- 2: an abort while every machine still prepares stops them at once too -> test_abort_with_every_machine_preparing_stops_them_at_once
- 2: an abort after everyone is prepared changes nothing -> test_abort_after_the_barrier_changes_nothing
- 3: never more than `size` slots held at once -> test_slots_bound_the_builds
- 3: a release without an acquire raises ValueError (BoundedSemaphore), and the pool stays idle -> test_extra_release_raises_value_error
- 3: wait_idle returns when the last slot is released, at once when idle -> test_wait_idle_returns_when_the_last_slot_is_released, test_wait_idle_on_an_idle_pool_returns_at_once
- 3: a failing build gives its slot back -> test_failing_build_gives_its_slot_back
- 3: a build cancelled while waiting for a slot holds none -> test_cancelled_waiter_holds_no_slot
- checks: no task left running, the loop never blocked -> test_abort_during_preparation_stops_everything, test_slots_bound_the_builds
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from katagrader import InFlight, learner_module, leaves, outcome, within

farm = learner_module("build_farm")


def now() -> float:
    return asyncio.get_running_loop().time()


# Step 1 --------------------------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_jobs_come_out_by_priority() -> None:
    """get() returns the job with the lowest priority number first."""
    queue = farm.JobQueue()
    for name, priority in [("docs", 2), ("hotfix", 0), ("feature", 1), ("cleanup", 3)]:
        queue.put(farm.Job(name, priority))
    got = [(await within(1, queue.get(), what="queue.get()")).name for _ in range(4)]
    assert got == ["hotfix", "feature", "docs", "cleanup"], (
        f"jobs put with priorities docs=2, hotfix=0, feature=1, cleanup=3 came out as {got}; "
        "expected the lowest number first: ['hotfix', 'feature', 'docs', 'cleanup']."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_equal_priorities_keep_their_order() -> None:
    """Jobs of equal priority come out in the order they were put, though Job has no order."""
    queue = farm.JobQueue()
    names = ["zeta", "mu", "alpha", "omega", "beta"]
    try:  # the heap compares entries as they are put, and again as they are taken
        for name in names:
            queue.put(farm.Job(name, 1, {"owner": name}))
        queue.put(farm.Job("urgent", 0))
        got = [(await within(1, queue.get(), what="queue.get()")).name for _ in range(6)]
    except TypeError as exc:
        pytest.fail(
            f"queueing jobs of equal priority raised TypeError ({exc}): the priority queue "
            "compared two Job objects, which have no order. Put (priority, sequence number, "
            "job) tuples, the sequence number from itertools.count(), so ties are decided "
            "before the jobs are reached."
        )
    assert got == ["urgent", *names], (
        f"jobs of priority 1 put as {names} (then one of priority 0) came out as {got}; "
        f"expected ['urgent', *{names}]: equal priorities first come, first served (not by "
        "name)."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_ties_stay_in_order_when_puts_and_gets_interleave() -> None:
    """Put a, put b, get, put c, get, get (all of one priority): a, b, c. The tie-breaker
    must never repeat (the queue's size, say, does once something was taken)."""
    queue = farm.JobQueue()
    got: list[str] = []
    try:
        queue.put(farm.Job("a", 1))
        queue.put(farm.Job("b", 1))
        got.append((await within(1, queue.get(), what="queue.get()")).name)
        queue.put(farm.Job("c", 1))
        for _ in range(2):
            got.append((await within(1, queue.get(), what="queue.get()")).name)
    except TypeError as exc:
        pytest.fail(
            f"putting c after a get raised TypeError ({exc}): c got the same tie-breaker as "
            "b, and the queue compared the two Jobs. Number the entries with "
            "itertools.count(), which never gives a number twice."
        )
    assert got == ["a", "b", "c"], (
        f"with puts and gets interleaved (put a, put b, get, put c, get, get), the jobs came "
        f"out as {got}; expected ['a', 'b', 'c']."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_get_waits_for_a_job() -> None:
    """On an empty queue get() waits, and returns as soon as a job is put."""
    queue = farm.JobQueue()
    started = now()
    asyncio.get_running_loop().call_later(1.5, queue.put, farm.Job("late", 1))
    job = await within(5, queue.get(), what="queue.get() on an empty queue")
    waited = now() - started
    assert job.name == "late" and waited == pytest.approx(1.5), (
        f"with a job put after 1.5 s, get() returned {job!r} after {waited:g} s; expected "
        "that job, at 1.5 s: `await self._queue.get()` waits for it."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_get_nowait_gives_none_when_empty() -> None:
    """get_nowait() returns None on an empty queue, and the most urgent job otherwise."""
    queue = farm.JobQueue()
    empty = queue.get_nowait()
    assert empty is None, f"get_nowait() on an empty queue returned {empty!r}; expected None."
    queue.put(farm.Job("b", 2))
    queue.put(farm.Job("a", 1))
    job = queue.get_nowait()
    assert job is not None and job.name == "a", (
        f"get_nowait() with jobs a (1) and b (2) queued returned {job!r}; expected job 'a'."
    )


# Step 2 --------------------------------------------------------------------------------


class ProbedMachine:
    """A machine that logs (loop time, name, event) for each phase's start and end."""

    def __init__(
        self, name: str, log: list[tuple[float, str, str]], prepare_s: float, build_s: float
    ) -> None:
        self.name = name
        self.log = log
        self.prepare_s = prepare_s
        self.build_s = build_s

    async def prepare(self) -> None:
        self.log.append((now(), self.name, "prepare"))
        await asyncio.sleep(self.prepare_s)
        self.log.append((now(), self.name, "prepared"))

    async def build(self) -> str:
        self.log.append((now(), self.name, "build"))
        await asyncio.sleep(self.build_s)
        return f"{self.name}: built"


def machines(
    log: list[tuple[float, str, str]], prepare: list[float], build: list[float]
) -> list[Any]:
    return [
        ProbedMachine(f"m{i}", log, p, b)
        for i, (p, b) in enumerate(zip(prepare, build, strict=True))
    ]


def times(log: list[tuple[float, str, str]], event: str) -> list[float]:
    return [t for t, _name, e in log if e == event]


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_machines_prepare_together() -> None:
    """Every machine starts preparing at once."""
    log: list[tuple[float, str, str]] = []
    start = now()
    await within(
        30,
        farm.run_in_phases(machines(log, [1, 1, 1], [1, 1, 1]), asyncio.Event()),
        what="run_in_phases(3 machines, abort)",
    )
    starts = [t - start for t in times(log, "prepare")]
    assert starts == [0, 0, 0], (
        f"the three machines started preparing at {starts} s; expected all at 0 s: start "
        "one task per machine, then wait for them together."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_nobody_builds_before_everyone_is_prepared() -> None:
    """With preparations of 1, 2 and 3 s, every build starts at 3 s."""
    log: list[tuple[float, str, str]] = []
    start = now()
    await within(
        30,
        farm.run_in_phases(machines(log, [1, 2, 3], [1, 1, 1]), asyncio.Event()),
        what="run_in_phases(3 machines, abort)",
    )
    builds = sorted(t - start for t in times(log, "build"))
    assert builds == [3, 3, 3], (
        f"with preparations of 1, 2 and 3 s, the builds started at {builds} s; expected all "
        "at 3 s, when the last machine is prepared: each machine waits at "
        "`await barrier.wait()` (an asyncio.Barrier of len(machines) parties) between "
        "prepare() and build()."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_results_come_in_machine_order() -> None:
    """The results are in the order of the machines, though the first builds longest."""
    log: list[tuple[float, str, str]] = []
    result = await within(
        30,
        farm.run_in_phases(machines(log, [1, 1, 1], [3, 2, 1]), asyncio.Event()),
        what="run_in_phases(3 machines, abort)",
    )
    assert result == ["m0: built", "m1: built", "m2: built"], (
        f"run_in_phases returned {result!r}; expected each machine's build() result in the "
        "order of the machines."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_a_single_machine_builds() -> None:
    """One machine: a barrier of one party lets it through at once, and it builds."""
    log: list[tuple[float, str, str]] = []
    result = await within(
        30,
        farm.run_in_phases(machines(log, [1], [1]), asyncio.Event()),
        what="run_in_phases(1 machine, abort)",
    )
    assert result == ["m0: built"] and now() > 0, (
        f"run_in_phases with one machine returned {result!r}; expected ['m0: built']."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_abort_during_preparation_stops_everything() -> None:
    """Abort at 5 s while one machine prepares for 10 s: PhasesAborted at 5 s, no build,
    and the slow machine's preparation is stopped."""
    log: list[tuple[float, str, str]] = []
    abort = asyncio.Event()
    start = now()
    asyncio.get_running_loop().call_later(5, abort.set)
    _, error = await outcome(
        60,
        farm.run_in_phases(machines(log, [1, 2, 10], [1, 1, 1]), abort),
        what="run_in_phases(3 machines, abort) with abort set at 5 s",
    )
    took = now() - start
    assert isinstance(error, farm.PhasesAborted), (
        f"with abort set at 5 s (one machine still preparing until 10 s), run_in_phases "
        f"raised {error!r}; expected PhasesAborted. A watcher task awaits abort.wait() and "
        "calls `await barrier.abort()`; the waiting machines then get BrokenBarrierError, "
        "which you turn into PhasesAborted (`except* asyncio.BrokenBarrierError:`)."
        + (
            " (It came out as BrokenBarrierError itself.)"
            if error is not None
            and any(isinstance(e, asyncio.BrokenBarrierError) for e in leaves(error))
            else ""
        )
    )
    assert took == pytest.approx(5.0), (
        f"run_in_phases raised after {took:g} s; expected at 5 s, when abort was set, not "
        "when the last machine finished preparing: abort the barrier as soon as the event "
        "is set, and stop the machines still preparing."
    )
    built = [name for _t, name, event in log if event == "build"]
    assert not built, f"after the abort, these machines built anyway: {built}."


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_abort_with_every_machine_preparing_stops_them_at_once() -> None:
    """Abort at 5 s while all three machines prepare until 10 s (nobody waits at the
    barrier yet): PhasesAborted at 5 s, their preparations cancelled then, no build."""
    log: list[tuple[float, str, str]] = []
    abort = asyncio.Event()
    start = now()
    asyncio.get_running_loop().call_later(5, abort.set)
    _, error = await outcome(
        60,
        farm.run_in_phases(machines(log, [10, 10, 10], [1, 1, 1]), abort),
        what="run_in_phases(3 machines preparing 10 s, abort) with abort set at 5 s",
    )
    took = now() - start
    assert isinstance(error, farm.PhasesAborted) and took == pytest.approx(5.0), (
        f"with every machine still preparing when abort was set at 5 s, run_in_phases "
        f"raised {error!r} at {took:g} s; expected PhasesAborted at 5 s. Aborting the "
        "barrier reaches only the machines waiting at it: the ones still preparing must be "
        "cancelled too (raise from the watcher inside the TaskGroup, so it cancels them)."
    )
    built = [name for _t, name, event in log if event in ("build", "prepared")]
    assert not built, f"after the abort, these machines went on: {built}."


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_abort_after_the_barrier_changes_nothing() -> None:
    """An abort set after every machine is prepared lets the builds finish."""
    log: list[tuple[float, str, str]] = []
    abort = asyncio.Event()
    asyncio.get_running_loop().call_later(4, abort.set)
    result, error = await outcome(
        60,
        farm.run_in_phases(machines(log, [1, 2, 3], [5, 5, 5]), abort),
        what="run_in_phases(3 machines, abort) with abort set at 4 s, during the builds",
    )
    assert error is None and result == ["m0: built", "m1: built", "m2: built"], (
        f"with abort set at 4 s, after every machine was prepared (3 s), run_in_phases gave "
        f"{result!r} / raised {error!r}; expected all three builds: the abort only counts "
        "while machines are still preparing."
    )


# Step 3 --------------------------------------------------------------------------------


async def build(pool: Any, seconds: float, probe: InFlight | None = None) -> None:
    async with pool.slot():
        if probe is not None:
            async with probe:
                await asyncio.sleep(seconds)
        else:
            await asyncio.sleep(seconds)


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_slots_bound_the_builds() -> None:
    """Five 1 s builds with 2 slots: never more than 2 at once, 3 s in all."""
    pool = farm.SlotPool(2)
    probe = InFlight()
    start = now()

    async def all_builds() -> None:
        async with asyncio.TaskGroup() as group:
            for _ in range(5):
                group.create_task(build(pool, 1.0, probe))

    await within(30, all_builds(), what="five builds in `async with pool.slot():`")
    took = now() - start
    assert probe.peak == 2 and took == pytest.approx(3.0), (
        f"five 1 s builds on SlotPool(2) had {probe.peak} in flight at most and took {took:g} "
        "s; expected 2 at a time, 3 s. Each slot() acquires the semaphore before the block "
        "and releases it after."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_extra_release_raises_value_error() -> None:
    """Releasing a slot that was never acquired raises ValueError."""
    pool = farm.SlotPool(2)
    try:
        pool.release()
    except ValueError:
        assert pool.in_use == 0, (
            f"after a refused release, in_use is {pool.in_use}; expected 0: a release that "
            "raises gives nothing back, so it must not change the count either."
        )
        await within(5, pool.wait_idle(), what="pool.wait_idle() after a refused release")
        return
    pytest.fail(
        "pool.release() with no slot held did not raise: a plain Semaphore silently grows "
        "past its size (here to 3 slots). asyncio.BoundedSemaphore raises ValueError instead."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_wait_idle_returns_when_the_last_slot_is_released() -> None:
    """With builds ending at 1.05, 2.05 and 3.05 s, wait_idle() returns at 3.05 s."""
    pool = farm.SlotPool(3)
    tasks = [asyncio.create_task(build(pool, s)) for s in (1.05, 2.05, 3.05)]
    await asyncio.sleep(0.01)  # every build holds its slot
    start = now()
    await within(30, pool.wait_idle(), what="pool.wait_idle() with three builds running")
    waited = now() - start
    await asyncio.gather(*tasks)
    assert waited == pytest.approx(3.04), (
        f"wait_idle() returned {waited:g} s after it was called; the last build released "
        "its slot 3.04 s later. Wait on an asyncio.Condition for the number of held slots "
        "to be 0 (`await cond.wait_for(lambda: self._in_use == 0)`), notified on every "
        "release, rather than polling or returning at the first release."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_wait_idle_on_an_idle_pool_returns_at_once() -> None:
    """wait_idle() on a pool with no slot held returns at once."""
    pool = farm.SlotPool(2)
    start = now()
    await within(5, pool.wait_idle(), what="pool.wait_idle() on an idle pool")
    assert now() - start == 0, (
        f"wait_idle() on an idle pool took {now() - start:g} s; expected 0: check the "
        "predicate before waiting (Condition.wait_for does)."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_failing_build_gives_its_slot_back() -> None:
    """A build that raises inside `async with pool.slot():` gives its slot back."""
    pool = farm.SlotPool(1)

    async def failing() -> None:
        async with pool.slot():
            raise RuntimeError("compiler crashed")

    with pytest.raises(RuntimeError):
        await within(5, failing(), what="a failing build in pool.slot()")
    assert pool.in_use == 0, f"after a failing build, {pool.in_use} slot(s) were held; expected 0."
    await within(5, build(pool, 0.5), what="the next build on SlotPool(1)")
    await within(5, pool.wait_idle(), what="pool.wait_idle() after the failed build")


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_cancelled_waiter_holds_no_slot() -> None:
    """A build cancelled while waiting for a slot holds none: the pool becomes idle."""
    pool = farm.SlotPool(1)
    holder = asyncio.create_task(build(pool, 2.0))
    await asyncio.sleep(0.1)
    waiter = asyncio.create_task(build(pool, 5.0))
    await asyncio.sleep(0.1)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    start = now()
    await within(30, pool.wait_idle(), what="pool.wait_idle() after a cancelled waiter")
    await holder
    assert pool.in_use == 0 and now() - start == pytest.approx(1.8), (
        f"after one build (ending at 2 s) and a waiter cancelled at 0.2 s, wait_idle() "
        f"returned after {now() - start:g} s with {pool.in_use} slot(s) held; expected at "
        "the first build's end (1.8 s later), none held. Count a slot as held only once "
        "acquire() has returned."
    )
