"""Grades exercises/31_racing_and_deadlines/mirrors.py: racing mirrors, hedging, a deadline
moved on at every chunk, and a retry that tells its own timeouts from the caller's.

Everything runs on a fake loop clock (looptime): each time below is exact. The grader's
mirrors and attempts log when they start, when they are cancelled and when their cleanup
(a 0.2 s "close the connection") has ended, so "cancelled and awaited" is observable.

Requirements:
- 1: the first successful answer wins, at its time -> test_fastest_mirror_wins
- 1: a failing mirror does not win -> test_a_failure_does_not_win
- 1: the losers are cancelled and awaited before returning -> test_losers_are_cancelled_and_awaited
- 1: every mirror failing raises an ExceptionGroup in mirror order -> test_all_failing_raises_their_errors_in_mirror_order
- 1: a caller's cancellation cancels and awaits every mirror -> test_cancelling_the_race_stops_every_mirror
- 2: an attempt finishing before the delay is not hedged -> test_fast_attempt_is_not_hedged
- 2: the hedge starts exactly at the delay, the first success wins, the other is awaited -> test_slow_attempt_is_hedged_at_the_delay
- 2: the first attempt keeps running after the delay and may still win -> test_first_attempt_can_still_win
- 2: a failing hedge does not win -> test_failing_hedge_does_not_win
- 2: a first attempt failing after the delay does not end it: the hedge may still win -> test_first_attempt_failing_after_the_delay_lets_the_hedge_win
- 2: a caller's cancellation cancels and awaits both attempts -> test_cancelling_hedged_stops_both_attempts
- 2: an early failure is raised with no hedge; both failing raise the first error -> test_early_failure_is_raised_without_a_hedge, test_both_failing_raise_the_first_error
- 3: a download slower in total than idle_timeout but steady completes -> test_steady_download_outlasts_the_idle_timeout
- 3: a stall raises TimeoutError idle_timeout after the last chunk -> test_stall_times_out_after_the_last_chunk
- 3: a late first chunk times out; an empty download gives b"" -> test_late_first_chunk_times_out, test_empty_download_gives_no_bytes
- 4: ConnectionErrors are retried after the backoff -> test_connection_errors_are_retried_after_the_backoff
- 4: any other error is raised at once, never retried -> test_other_errors_are_not_retried
- 4: a slow attempt is cut at per_attempt and retried -> test_slow_attempt_is_cut_and_retried
- 4: after the last attempt its error is raised at once -> test_last_error_is_raised_after_the_last_attempt
- 4: an enclosing timeout is not retried, and still raises TimeoutError -> test_enclosing_timeout_is_not_retried
- 4: a cancellation during the backoff is not retried -> test_cancellation_during_backoff_is_not_retried
- 4: no cancellation request is left on the task -> test_no_cancellation_request_is_left_behind
- checks: no task left running, no exception unretrieved, the loop never blocked -> test_losers_are_cancelled_and_awaited, test_all_failing_raises_their_errors_in_mirror_order
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from katagrader import learner_module, leaves, outcome, within

mirrors = learner_module("mirrors")

CLEANUP = 0.2  # how long a cancelled request takes to close its connection


def now() -> float:
    return asyncio.get_running_loop().time()


def unless_not_started(task: asyncio.Task[Any]) -> None:
    """A task running the learner's call that failed with NotImplementedError: raise it, so
    the step reads "not started" rather than as a wrong answer."""
    if task.done() and not task.cancelled() and isinstance(task.exception(), NotImplementedError):
        raise task.exception()  # type: ignore[misc]


class Attempts:
    """A log of requests: when each started, was cancelled, and finished its cleanup."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.cancelled: dict[str, float] = {}
        self.closed: dict[str, float] = {}

    async def run(self, name: str, latency: float, fails: bool) -> bytes:
        self.started[name] = now()
        try:
            await asyncio.sleep(latency)
        except asyncio.CancelledError:
            self.cancelled[name] = now()
            await asyncio.sleep(CLEANUP)  # closing the connection takes a moment
            self.closed[name] = now()
            raise
        if fails:
            raise ConnectionError(f"{name} failed")
        return f"body from {name}".encode()


class ProbedMirror:
    def __init__(self, log: Attempts, name: str, latency: float, fails: bool = False) -> None:
        self.log = log
        self.name = name
        self.latency = latency
        self.fails = fails

    async def fetch(self, path: str) -> bytes:
        return await self.log.run(self.name, self.latency, self.fails)


def mirror_set(log: Attempts, spec: list[tuple[str, float, bool]]) -> list[Any]:
    return [ProbedMirror(log, name, latency, fails) for name, latency, fails in spec]


# Step 1 --------------------------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_fastest_mirror_wins() -> None:
    """Of mirrors answering at 3, 1 and 2 s, the one at 1 s wins, at 1 s."""
    log = Attempts()
    start = now()
    got = await within(
        30,
        mirrors.first_answer(
            mirror_set(log, [("eu", 3, False), ("us", 1, False), ("asia", 2, False)]), "/f"
        ),
        what="first_answer(mirrors, '/f')",
    )
    answered = now() - start
    assert got == ("us", b"body from us"), (
        f"first_answer returned {got!r}; expected ('us', b'body from us'), the mirror that "
        "answered first (at 1 s; eu at 3 s, asia at 2 s)."
    )
    assert answered == pytest.approx(1.0 + CLEANUP), (
        f"first_answer returned after {answered:g} s; expected {1 + CLEANUP:g} s: the answer "
        f"at 1 s, then the {CLEANUP:g} s the cancelled losers take to close."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_a_failure_does_not_win() -> None:
    """A mirror failing at 0.5 s does not end the race; the one answering at 1 s wins."""
    log = Attempts()
    got, error = await outcome(
        30,
        mirrors.first_answer(
            mirror_set(log, [("asia", 0.5, True), ("us", 1, False), ("eu", 3, False)]), "/f"
        ),
        what="first_answer(mirrors, '/f')",
    )
    assert error is None and got == ("us", b"body from us"), (
        f"with asia failing at 0.5 s and us answering at 1 s, first_answer gave {got!r} / "
        f"raised {error!r}; "
        "expected ('us', b'body from us'): the first *successful* answer wins, a failure "
        "only takes that mirror out of the race."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_losers_are_cancelled_and_awaited() -> None:
    """The mirrors still running when the winner answers are cancelled at that moment, and
    their cleanup has ended when first_answer returns."""
    log = Attempts()
    race = mirrors.first_answer(
        mirror_set(log, [("eu", 3, False), ("us", 1, False), ("asia", 2, False)]), "/f"
    )
    await within(30, race, what="first_answer(mirrors, '/f')")
    returned = now()
    assert sorted(log.cancelled) == ["asia", "eu"] and all(
        t == pytest.approx(1.0) for t in log.cancelled.values()
    ), (
        f"when us answered at 1 s, these mirrors were cancelled: {log.cancelled}; expected "
        "asia and eu, at 1 s: cancel every loser as soon as you have the winner."
    )
    assert sorted(log.closed) == ["asia", "eu"] and max(log.closed.values()) <= returned, (
        f"first_answer returned at {returned:g} s, but the cancelled mirrors finished closing "
        f"at {log.closed}: cancel() only asks. Await the losers "
        "(`await asyncio.gather(*losers, return_exceptions=True)`) before returning."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_all_failing_raises_their_errors_in_mirror_order() -> None:
    """When every mirror fails, an ExceptionGroup of their errors comes out, in mirror order."""
    log = Attempts()
    _, error = await outcome(
        30,
        mirrors.first_answer(
            mirror_set(log, [("eu", 0.3, True), ("us", 0.1, True), ("asia", 0.2, True)]), "/f"
        ),
        what="first_answer(mirrors, '/f') with every mirror failing",
    )
    assert isinstance(error, BaseExceptionGroup), (
        f"with every mirror failing, first_answer raised {error!r}; expected an "
        "ExceptionGroup of their errors (`raise ExceptionGroup('every mirror failed', errors)`)."
    )
    messages = [str(e) for e in leaves(error)]
    assert messages == ["eu failed", "us failed", "asia failed"], (
        f"the group held {messages}; expected each mirror's error once, in mirror order "
        "(eu, us, asia), not in the order they failed."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_cancelling_the_race_stops_every_mirror() -> None:
    """When the caller cancels first_answer mid-race, every mirror is cancelled, and has
    closed by the time first_answer ends."""
    log = Attempts()
    race = asyncio.create_task(
        mirrors.first_answer(mirror_set(log, [("eu", 3, False), ("us", 2, False)]), "/f")
    )
    await asyncio.sleep(0.5)
    race.cancel()
    await asyncio.wait({race}, timeout=10)
    ended = now()
    unless_not_started(race)
    assert race.cancelled(), (
        f"first_answer, cancelled at 0.5 s, ended {'with ' + repr(race.exception()) if race.done() and not race.cancelled() else 'not at all'}; "
        "expected it to end cancelled (let the CancelledError through)."
    )
    assert sorted(log.closed) == ["eu", "us"] and max(log.closed.values()) <= ended, (
        f"first_answer ended at {ended:g} s after being cancelled, but the mirrors had closed: "
        f"{log.closed}. Cancel and await them in a `finally:`, so that every way out (an "
        "answer, all failed, your caller cancelling you) stops them."
    )


# Step 2 --------------------------------------------------------------------------------


class ProbedFetch:
    """Attempt k takes latencies[k] seconds (and fails if k is in `failing`)."""

    def __init__(self, latencies: list[float], failing: set[int] | None = None) -> None:
        self.log = Attempts()
        self.latencies = latencies
        self.failing = failing or set()
        self.count = 0

    async def __call__(self) -> bytes:
        k = self.count
        self.count += 1
        return await self.log.run(f"attempt {k}", self.latencies[k], k in self.failing)


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_fast_attempt_is_not_hedged() -> None:
    """An attempt answering at 0.5 s with a 1 s delay is the only one made."""
    fetch = ProbedFetch([0.5, 0.5])
    start = now()
    got = await within(30, mirrors.hedged(fetch, delay=1.0), what="hedged(fetch, delay=1)")
    took = now() - start
    assert got == b"body from attempt 0" and fetch.count == 1 and took == pytest.approx(0.5), (
        f"with the first attempt answering at 0.5 s and delay=1, hedged made {fetch.count} "
        f"attempt(s) and returned {got!r} at {took:g} s; expected one attempt, its answer, "
        "at 0.5 s. Start the second attempt only if the first has not finished after `delay`."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_slow_attempt_is_hedged_at_the_delay() -> None:
    """A first attempt of 5 s gets a hedge at exactly 1 s, which answers at 1.5 s and wins;
    the first is cancelled and has closed when hedged returns."""
    fetch = ProbedFetch([5.0, 0.5])
    start = now()
    got = await within(30, mirrors.hedged(fetch, delay=1.0), what="hedged(fetch, delay=1)")
    returned = now() - start
    second = fetch.log.started.get("attempt 1")
    assert second is not None and second - start == pytest.approx(1.0), (
        f"with a 5 s first attempt and delay=1, the second attempt started at "
        f"{'never' if second is None else f'{second - start:g} s'}; expected at 1 s exactly."
    )
    assert got == b"body from attempt 1", (
        f"hedged returned {got!r}; expected the hedge's answer (1.5 s), not the first attempt's (5 s)."
    )
    closed = fetch.log.closed.get("attempt 0")
    assert closed is not None and closed - start <= returned, (
        f"hedged returned at {returned:g} s; the first attempt "
        + (
            "was never cancelled"
            if "attempt 0" not in fetch.log.cancelled
            else f"finished closing at {closed - start if closed else float('nan'):g} s"
        )
        + ": cancel the slower attempt and await it before returning."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_first_attempt_can_still_win() -> None:
    """The first attempt keeps running after the delay: at 1.2 s it beats a 5 s hedge."""
    fetch = ProbedFetch([1.2, 5.0])
    start = now()
    got = await within(30, mirrors.hedged(fetch, delay=1.0), what="hedged(fetch, delay=1)")
    assert got == b"body from attempt 0" and now() - start == pytest.approx(1.2 + CLEANUP), (
        f"with attempts of 1.2 s and 5 s and delay=1, hedged returned {got!r} at "
        f"{now() - start:g} s; expected the first attempt's answer at 1.2 s (+{CLEANUP:g} s "
        "to close the hedge). Waiting for the delay must not cancel the first attempt: "
        "asyncio.wait_for() cancels on timeout, asyncio.wait(..., timeout=) does not."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_failing_hedge_does_not_win() -> None:
    """A hedge failing at 1.2 s does not end it: the first attempt's answer at 3 s wins."""
    fetch = ProbedFetch([3.0, 0.2], failing={1})
    got, error = await outcome(30, mirrors.hedged(fetch, delay=1.0), what="hedged(fetch, delay=1)")
    assert error is None and got == b"body from attempt 0", (
        f"with the hedge failing at 1.2 s and the first attempt answering at 3 s, hedged "
        f"gave {got!r} / raised {error!r}; expected the first attempt's answer."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_first_attempt_failing_after_the_delay_lets_the_hedge_win() -> None:
    """The first attempt fails at 1.5 s, after the hedge started (1 s): the hedge's answer
    at 3 s is returned, not the first attempt's error."""
    fetch = ProbedFetch([1.5, 2.0], failing={0})
    got, error = await outcome(30, mirrors.hedged(fetch, delay=1.0), what="hedged(fetch, delay=1)")
    assert error is None and got == b"body from attempt 1", (
        f"with the first attempt failing at 1.5 s and the hedge answering at 3 s, hedged gave "
        f"{got!r} / raised {error!r}; expected the hedge's answer: once the hedge runs, the "
        "first *successful* answer of the two wins."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_cancelling_hedged_stops_both_attempts() -> None:
    """Cancelled at 1.5 s (both attempts running), hedged ends cancelled, and both attempts
    have closed by then."""
    fetch = ProbedFetch([5.0, 5.0])
    task = asyncio.create_task(mirrors.hedged(fetch, delay=1.0))
    await asyncio.sleep(1.5)
    task.cancel()
    await asyncio.wait({task}, timeout=10)
    ended = now()
    unless_not_started(task)
    assert task.cancelled(), "hedged, cancelled by its caller, did not end cancelled."
    closed = fetch.log.closed
    assert sorted(closed) == ["attempt 0", "attempt 1"] and max(closed.values()) <= ended, (
        f"hedged, cancelled at 1.5 s, ended at {ended:g}; the attempts had closed: {closed}. "
        "Cancel and await the attempts in a `finally:`, so a cancelled caller leaves none "
        "running."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_early_failure_is_raised_without_a_hedge() -> None:
    """A first attempt failing at 0.3 s, before the delay, is raised then, with no hedge."""
    fetch = ProbedFetch([0.3, 0.3], failing={0})
    start = now()
    _, error = await outcome(30, mirrors.hedged(fetch, delay=1.0), what="hedged(fetch, delay=1)")
    assert (
        isinstance(error, ConnectionError)
        and fetch.count == 1
        and now() - start == pytest.approx(0.3)
    ), (
        f"with the first attempt failing at 0.3 s (delay=1), hedged made {fetch.count} "
        f"attempt(s) and raised {error!r} at {now() - start:g} s; expected its ConnectionError "
        "at 0.3 s and no second attempt."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_both_failing_raise_the_first_error() -> None:
    """When both attempts fail, the first attempt's error is raised."""
    # The hedge (started at 1 s) fails last, at 3.5 s: the error raised is still the first's.
    fetch = ProbedFetch([2.0, 2.5], failing={0, 1})
    _, error = await outcome(30, mirrors.hedged(fetch, delay=1.0), what="hedged(fetch, delay=1)")
    assert isinstance(error, ConnectionError) and str(error) == "attempt 0 failed", (
        f"with both attempts failing, hedged raised {error!r}; expected the first attempt's "
        "ConnectionError('attempt 0 failed')."
    )


# Step 3 --------------------------------------------------------------------------------


class Chunks:
    """An async iterator giving one chunk after each of `gaps` seconds, then stalling
    forever if `stall`."""

    def __init__(self, gaps: list[float], stall: bool = False) -> None:
        self.gaps = list(gaps)
        self.stall = stall
        self.given = 0

    def __aiter__(self) -> Chunks:
        return self

    async def __anext__(self) -> bytes:
        if not self.gaps:
            if self.stall:
                await asyncio.Event().wait()
            raise StopAsyncIteration
        await asyncio.sleep(self.gaps.pop(0))
        self.given += 1
        return b"%d," % self.given


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_steady_download_outlasts_the_idle_timeout() -> None:
    """Ten chunks 0.9 s apart with idle_timeout=1: 9 s in all, and every byte."""
    start = now()
    got, error = await outcome(
        60, mirrors.download(Chunks([0.9] * 10), 1.0), what="download(chunks, idle_timeout=1)"
    )
    assert error is None and got == b"".join(b"%d," % i for i in range(1, 11)), (
        f"ten chunks arriving 0.9 s apart with idle_timeout=1 gave {got!r} / raised "
        f"{error!r} after {now() - start:g} s; expected all ten chunks at 9 s. The deadline "
        "bounds each wait, not the whole download: move it on at every chunk "
        "(`cm.reschedule(loop.time() + idle_timeout)`)."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_stall_times_out_after_the_last_chunk() -> None:
    """Chunks at 0.5, 1.0 and 1.5 s, then nothing: TimeoutError at exactly 2.5 s."""
    start = now()
    _, error = await outcome(
        60,
        mirrors.download(Chunks([0.5, 0.5, 0.5], stall=True), 1.0),
        what="download(chunks, idle_timeout=1)",
    )
    took = now() - start
    assert isinstance(error, TimeoutError) and took == pytest.approx(2.5), (
        f"with chunks at 0.5, 1.0 and 1.5 s and then a stall, download raised {error!r} at "
        f"{took:g} s; expected TimeoutError at 2.5 s, idle_timeout after the last chunk. "
        "Reschedule to `loop.time() + idle_timeout` (now), not to the old deadline plus "
        "idle_timeout."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_late_first_chunk_times_out() -> None:
    """A first chunk that would come at 1.5 s, with idle_timeout=1, times out at 1 s."""
    start = now()
    _, error = await outcome(
        60, mirrors.download(Chunks([1.5]), 1.0), what="download(chunks, idle_timeout=1)"
    )
    assert isinstance(error, TimeoutError) and now() - start == pytest.approx(1.0), (
        f"with the first chunk due at 1.5 s and idle_timeout=1, download raised {error!r} at "
        f"{now() - start:g} s; expected TimeoutError at 1 s: the wait for the first chunk "
        "counts too."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_empty_download_gives_no_bytes() -> None:
    """A download with no chunk gives b''."""
    got = await within(10, mirrors.download(Chunks([]), 1.0), what="download(no chunks, 1)")
    assert got == b"", f"a download with no chunk returned {got!r}; expected b''."


# Step 4 --------------------------------------------------------------------------------


class ProbedOp:
    """Call k: hangs if k in `hang`, raises ConnectionError if k in `fail`, else returns."""

    def __init__(
        self, *, hang: set[int] | None = None, fail: set[int] | None = None, every: str = ""
    ) -> None:
        self.hang = hang or set()
        self.fail = fail or set()
        self.every = every  # "hang" or "fail": every call does it
        self.calls: list[float] = []

    async def __call__(self) -> str:
        k = len(self.calls)
        self.calls.append(now())
        if self.every == "hang" or k in self.hang:
            await asyncio.Event().wait()
        if self.every == "fail" or k in self.fail:
            raise ConnectionError(f"call {k} reset")
        return f"result of call {k}"


def relative(times: list[float], start: float) -> list[float]:
    return [round(t - start, 6) for t in times]


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_connection_errors_are_retried_after_the_backoff() -> None:
    """Two ConnectionErrors, then a success: calls at 0, 0.5 and 1 s, the third's result."""
    op = ProbedOp(fail={0, 1})
    start = now()
    got = await within(
        30,
        mirrors.retry(op, attempts=3, per_attempt=2, backoff=0.5),
        what="retry(op, attempts=3, per_attempt=2, backoff=0.5)",
    )
    assert got == "result of call 2" and relative(op.calls, start) == [0, 0.5, 1.0], (
        f"with two ConnectionErrors then a success, retry returned {got!r}, calling at "
        f"{relative(op.calls, start)} s; expected 'result of call 2', calls at [0, 0.5, 1.0] s."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_other_errors_are_not_retried() -> None:
    """A ValueError from the first call is raised at once: only timeouts and connection
    errors are retried."""
    calls: list[float] = []

    async def op() -> str:
        calls.append(now())
        raise ValueError("bad request")

    _, error = await outcome(
        30,
        mirrors.retry(op, attempts=3, per_attempt=1, backoff=0.5),
        what="retry(op raising ValueError, ...)",
    )
    assert isinstance(error, ValueError) and len(calls) == 1, (
        f"with op raising ValueError, retry made {len(calls)} call(s) and raised {error!r}; "
        "expected one call and the ValueError at once: catch only TimeoutError and "
        "ConnectionError (`except Exception:` retries bugs too)."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_slow_attempt_is_cut_and_retried() -> None:
    """A call that hangs is cut at per_attempt=1 s, and the next one, at 1.5 s, succeeds."""
    op = ProbedOp(hang={0})
    start = now()
    got, error = await outcome(
        30,
        mirrors.retry(op, attempts=3, per_attempt=1, backoff=0.5),
        what="retry(op, attempts=3, per_attempt=1, backoff=0.5)",
    )
    assert error is None and got == "result of call 1" and relative(op.calls, start) == [0, 1.5], (
        f"with the first call hanging, retry gave {got!r} / raised {error!r}, calling at "
        f"{relative(op.calls, start)} s; expected the second call's result, calls at 0 and "
        "1.5 s: bound each call with `async with asyncio.timeout(per_attempt):`."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_last_error_is_raised_after_the_last_attempt() -> None:
    """Three failing calls: the third's ConnectionError is raised at once, with no pause after it."""
    op = ProbedOp(every="fail")
    start = now()
    _, error = await outcome(
        30,
        mirrors.retry(op, attempts=3, per_attempt=1, backoff=0.5),
        what="retry(op, attempts=3, ...)",
    )
    assert (
        isinstance(error, ConnectionError) and str(error) == "call 2 reset" and len(op.calls) == 3
    ), (
        f"with every call failing, retry raised {error!r} after {len(op.calls)} call(s); "
        "expected the third call's ConnectionError('call 2 reset') after 3 calls."
    )
    assert now() - start == pytest.approx(1.0), (
        f"retry raised at {now() - start:g} s; expected at 1 s, right after the third call: "
        "no pause after the last attempt."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_enclosing_timeout_is_not_retried() -> None:
    """Inside `asyncio.timeout(2.5)`, with every call hanging (per_attempt=1, backoff=0.1):
    calls at 0, 1.1 and 2.2 s, then the enclosing timeout's TimeoutError at 2.5 s."""
    op = ProbedOp(every="hang")
    start = now()

    async def bounded() -> BaseException | None:
        try:
            async with asyncio.timeout(2.5):
                await mirrors.retry(op, attempts=10, per_attempt=1, backoff=0.1)
        except asyncio.CancelledError as exc:
            # The enclosing timeout let a CancelledError out instead of turning it into
            # TimeoutError: a cancellation request of the learner's was still pending.
            return exc
        return None

    escaped, error = await outcome(30, bounded(), what="retry(...) inside asyncio.timeout(2.5)")
    error = escaped or error
    assert relative(op.calls, start) == [0, 1.1, 2.2], (
        f"inside asyncio.timeout(2.5), retry called op at {relative(op.calls, start)} s; "
        "expected [0, 1.1, 2.2] and no call after the enclosing timeout expired: its "
        "cancellation is not yours to retry. Never catch CancelledError in a retry loop."
    )
    assert isinstance(error, TimeoutError) and now() - start == pytest.approx(2.5), (
        f"the enclosing asyncio.timeout(2.5) ended with {error!r} at {now() - start:g} s; "
        "expected TimeoutError at 2.5 s. If it came out as CancelledError, a cancellation "
        "request of your own is still pending on the task (task.cancelling() > 0): a "
        "timeout you implement by cancelling must take it back with task.uncancel(), as "
        "asyncio.timeout does."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_cancellation_during_backoff_is_not_retried() -> None:
    """Cancelled at 1 s while pausing 5 s after a failure: retry ends cancelled, one call made."""
    op = ProbedOp(every="fail")
    task = asyncio.create_task(mirrors.retry(op, attempts=5, per_attempt=1, backoff=5))
    await asyncio.sleep(1)
    unless_not_started(task)
    task.cancel()
    await asyncio.wait({task}, timeout=30)
    assert task.cancelled() and len(op.calls) == 1, (
        f"cancelled at 1 s during its 5 s pause, retry ended "
        f"{'cancelled' if task.cancelled() else 'not cancelled'} after {len(op.calls)} "
        "call(s); expected it to end cancelled at once, after 1 call."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_no_cancellation_request_is_left_behind() -> None:
    """After retry returns (one call was cut by its per-attempt timeout), the calling task has
    no cancellation request pending."""
    op = ProbedOp(hang={0})

    async def call_then_count() -> tuple[str, int]:
        # Directly, in this task: within() would run retry in a task of its own.
        result = await mirrors.retry(op, attempts=3, per_attempt=1, backoff=0.5)
        task = asyncio.current_task()
        assert task is not None
        return result, task.cancelling()

    result, pending = await within(
        30, call_then_count(), what="retry(...) with a call cut by its timeout"
    )
    assert result == "result of call 1" and pending == 0, (
        f"after retry returned {result!r}, the task that called it had {pending} "
        "cancellation request(s) pending; expected 0. A per-attempt timeout that cancels the "
        "task must take its own request back (task.uncancel(); asyncio.timeout does it): a "
        "pending request makes the task's next enclosing timeout or TaskGroup misread a "
        "later cancellation."
    )
