"""Grades exercises/13_rate_limiting/ratelimit.py: a fair, cancellation-safe token bucket
on the event loop's clock. Every test runs on looptime's fake clock, so the waits are
exact and cost no real time.

Requirements:
- 1: available() starts full, refills rate per second of loop time, capped at burst, in
  self._tokens -> test_available_refills_at_rate_up_to_burst
- 2: a full bucket serves burst acquisitions at once -> test_burst_is_served_at_once
- 2: then each acquisition waits exactly until a token is there, no busy wait
  -> test_acquisitions_take_the_expected_time, test_acquire_waits_only_for_the_missing_fraction
- 2: waiters are served in the order they called -> test_waiters_are_served_in_fifo_order
- 2: a waiter cancelled while waiting takes no token -> test_cancelled_waiter_spends_no_token
- 3: `async with bucket:` takes a token, gives nothing back, `as` gives the bucket
  -> test_async_with_takes_a_token
- 4: send_all paces the starts, overlaps the requests, ids in message order
  -> test_send_all_paces_requests_and_overlaps_them
- 4: a failing send is raised with no other send left running or waiting
  -> test_send_all_stops_the_other_sends_when_one_fails
- checks: no task left running, no coroutine un-awaited, the loop never blocked
  -> test_send_all_paces_requests_and_overlaps_them, test_cancelled_waiter_spends_no_token
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest

from katagrader import DeadlineExceeded, InFlight, learner_module, leaves, outcome, within

ratelimit = learner_module("ratelimit")

T = TypeVar("T")

# On the fake clock the reference solution finishes each test in milliseconds of real
# time. A bucket that polls with `asyncio.sleep(0)` never lets the fake clock move (the
# loop is never idle), so it would spin until the per-test limit; this guard stops it.
REAL_SECONDS = 1.0


async def paced(seconds: float, awaitable: Awaitable[T], *, what: str) -> T:
    """`within(seconds, ...)` in loop time, plus a real-time guard against busy-waiting."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(awaitable)
    started = loop.time()
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        loop.call_soon_threadsafe(task.cancel)

    guard = threading.Timer(REAL_SECONDS, stop)
    guard.start()
    try:
        return await within(seconds, task, what=what)
    except asyncio.CancelledError:
        if not fired.is_set():
            raise
        raise DeadlineExceeded(
            f"`{what}` was still running after {REAL_SECONDS:g} s of real time, while the "
            f"event loop's clock moved only {loop.time() - started:g} s. Something keeps the "
            "loop busy without ever waiting on the clock: polling with `await asyncio.sleep(0)` "
            "in a loop is a busy wait. Compute how long the next token takes and sleep that long."
        ) from None
    finally:
        guard.cancel()
        guard.join()


def drained(rate: float, burst: int) -> Any:
    """A bucket whose tokens were all spent just now (by setting the stub's `_tokens`)."""
    bucket = ratelimit.TokenBucket(rate, burst)
    bucket.available()
    bucket._tokens = 0.0
    return bucket


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_available_refills_at_rate_up_to_burst() -> None:
    """The bucket starts full, refills `rate` tokens per second of loop time, and never
    holds more than `burst`."""
    bucket = ratelimit.TokenBucket(rate=2, burst=5)
    first = bucket.available()
    assert first == pytest.approx(5.0), (
        f"TokenBucket(rate=2, burst=5).available() returned {first!r} on a new bucket; "
        "expected 5.0: the bucket starts full."
    )
    bucket._tokens = 0.0
    seen = []
    for pause in (1.0, 0.5, 10.0):
        await asyncio.sleep(pause)
        seen.append(bucket.available())
    assert seen == pytest.approx([2.0, 3.0, 5.0]), (
        "after spending every token of TokenBucket(rate=2, burst=5), available() read "
        f"{seen} after 1 s, 1.5 s and 11.5 s of loop time; expected [2.0, 3.0, 5.0]. "
        "Refill rate x (loop.time() - last refill), capped at burst. The clock must be "
        "`asyncio.get_running_loop().time()`: time.monotonic() knows nothing of the loop's "
        "clock, so a fake clock (and asyncio.sleep) and the bucket disagree."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_burst_is_served_at_once() -> None:
    """A full bucket serves `burst` acquisitions without any wait."""
    bucket = ratelimit.TokenBucket(rate=1, burst=4)
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def four() -> None:
        for _ in range(4):
            await bucket.acquire()

    await paced(10, four(), what="four bucket.acquire() on TokenBucket(rate=1, burst=4)")
    elapsed = loop.time() - started
    assert elapsed == pytest.approx(0.0), (
        f"four acquire() on a full TokenBucket(rate=1, burst=4) took {elapsed:g} s of loop "
        "time; expected 0 s: a full bucket lets `burst` requests through at once."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_acquisitions_take_the_expected_time() -> None:
    """After the burst, each acquisition waits exactly 1/rate seconds."""
    bucket = ratelimit.TokenBucket(rate=4, burst=2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    times: list[float] = []

    async def ten() -> None:
        for _ in range(10):
            await bucket.acquire()
            times.append(round(loop.time() - started, 6))

    await paced(30, ten(), what="ten bucket.acquire() on TokenBucket(rate=4, burst=2)")
    expected = [0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
    assert times == pytest.approx(expected), (
        f"ten acquire() one after another on TokenBucket(rate=4, burst=2) returned at {times} "
        f"s of loop time; expected {expected}: two at once (the burst), then one every "
        "1/rate = 0.25 s. Sleep exactly until the next token arrives, on the loop's clock."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_acquire_waits_only_for_the_missing_fraction() -> None:
    """With part of a token already refilled, acquire waits only for the rest of it."""
    bucket = drained(rate=1, burst=1)
    loop = asyncio.get_running_loop()
    await asyncio.sleep(0.25)  # a quarter of a token has arrived
    started = loop.time()
    times: list[float] = []

    async def two() -> None:
        for _ in range(2):
            await bucket.acquire()
            times.append(round(loop.time() - started, 6))

    await paced(30, two(), what="two bucket.acquire() on a TokenBucket(rate=1) holding 0.25")
    expected = [0.75, 1.75]
    if times[:1] == pytest.approx([1.0]):
        advice = (
            "The first waited a full 1/rate = 1 s although a quarter of a token was already "
            "there: sleep (1 - tokens) / rate, the time the missing part takes."
        )
    else:
        advice = "Sleep exactly (1 - tokens) / rate: the time the missing part of a token takes."
    assert times == pytest.approx(expected), (
        f"TokenBucket(rate=1, burst=1), emptied and then left 0.25 s to refill 0.25 tokens: "
        f"two acquire() in a row returned after {times} s; expected {expected}. {advice}"
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_waiters_are_served_in_fifo_order() -> None:
    """Waiters get their tokens in the order they called acquire(), one per 1/rate."""
    bucket = drained(rate=1, burst=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    served: list[tuple[int, float]] = []

    async def waiter(n: int) -> None:
        await bucket.acquire()
        served.append((n, round(loop.time() - started, 6)))

    async def five() -> None:
        async with asyncio.TaskGroup() as group:
            for n in range(5):
                group.create_task(waiter(n))
                await asyncio.sleep(0.1)

    await paced(30, five(), what="five waiters on an empty TokenBucket(rate=1, burst=1)")
    order = [n for n, _ in served]
    assert order == [0, 1, 2, 3, 4], (
        f"five tasks called acquire() on an empty bucket in the order 0..4 (0.1 s apart); "
        f"they were served in the order {order}. Expected first come, first served: a "
        "waiter that wakes up and finds the token gone, or a newcomer that takes a token "
        "before older waiters, is unfair. Let only the head of the line wait on the clock "
        "(an asyncio.Lock hands itself over in FIFO order)."
    )
    times = [t for _, t in served]
    assert times == pytest.approx([1.0, 2.0, 3.0, 4.0, 5.0]), (
        f"the five waiters were served at {times} s; expected [1, 2, 3, 4, 5]: one per 1/rate."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_cancelled_waiter_spends_no_token() -> None:
    """A waiter cancelled while waiting takes no token: the next one is served at the time
    the cancelled one would have been."""
    bucket = drained(rate=1, burst=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    served: dict[str, float] = {}

    async def waiter(name: str) -> None:
        await bucket.acquire()
        served[name] = round(loop.time() - started, 6)

    async def scenario() -> None:
        # A TaskGroup, so that both waiters are cancelled too if the scenario is stopped.
        async with asyncio.TaskGroup() as group:
            first = group.create_task(waiter("first"))
            group.create_task(waiter("second"))
            await asyncio.sleep(0.5)
            first.cancel()
        await waiter("third")

    await paced(30, scenario(), what="a cancelled waiter on TokenBucket(rate=1, burst=1)")
    assert "first" not in served, (
        f"the first waiter was cancelled at 0.5 s but acquire() returned for it at "
        f"{served.get('first')} s; a cancelled acquire() must end with CancelledError."
    )
    second = served.get("second")
    if second == pytest.approx(2.0):
        advice = (
            "The second was served one token late, as if the cancelled waiter had taken (or "
            "reserved) a token: it must not, the time it waited keeps filling the bucket for "
            "the next one. Take the token only once the wait is over."
        )
    elif second == pytest.approx(1.5):
        advice = (
            "The second took over at 0.5 s, when half a token had arrived, and then waited a "
            "whole 1/rate: sleep only (1 - tokens) / rate."
        )
    else:
        advice = (
            "A cancelled waiter takes no token, and the next waiter is served when the token "
            "it would have had arrives."
        )
    assert served == pytest.approx({"second": 1.0, "third": 2.0}), (
        "two tasks waited on an empty TokenBucket(rate=1, burst=1); the first was cancelled "
        f"at 0.5 s. The second was served at {second} s and a third waiter at "
        f"{served.get('third')} s; expected 1.0 s and 2.0 s. {advice}"
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_async_with_takes_a_token() -> None:
    """`async with bucket:` waits for a token on entry and gives nothing back on exit."""
    bucket = ratelimit.TokenBucket(rate=2, burst=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    entered: list[float] = []

    async def three() -> None:
        for _ in range(3):
            async with bucket as held:
                entered.append(round(loop.time() - started, 6))
                assert held is bucket, (
                    f"`async with bucket as held` gave held={held!r}; expected the bucket itself "
                    "(__aenter__ returns self)."
                )

    await paced(30, three(), what="three `async with bucket:` on TokenBucket(rate=2, burst=1)")
    assert entered == pytest.approx([0.0, 0.5, 1.0]), (
        f"three `async with bucket:` blocks in a row on TokenBucket(rate=2, burst=1) were "
        f"entered at {entered} s; expected [0, 0.5, 1.0]. __aenter__ acquires a token, "
        "__aexit__ gives nothing back (a token is spent, not borrowed as with a semaphore)."
    )


class GatewayDown(Exception):
    """The grader's gateway refused a message."""


class ProbedGateway:
    """A gateway whose requests take `latency` s; records when each one started. Messages
    to a number in `refused` fail with GatewayDown at the end of their request."""

    def __init__(self, latency: float, refused: frozenset[str] = frozenset()) -> None:
        self.latency = latency
        self.refused = refused
        self.in_flight = InFlight()
        self.started: list[float] = []

    async def send(self, message: object) -> str:
        self.started.append(round(asyncio.get_running_loop().time(), 6))
        async with self.in_flight:
            await asyncio.sleep(self.latency)
        number = message.number  # type: ignore[attr-defined]
        if number in self.refused:
            raise GatewayDown(f"{number} refused")
        return f"id-{number}"


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_send_all_paces_requests_and_overlaps_them() -> None:
    """send_all starts requests no faster than the bucket allows, lets slow requests
    overlap, and returns the ids in message order."""
    gateway = ProbedGateway(latency=1.0)
    bucket = ratelimit.TokenBucket(rate=5, burst=3)
    messages = [ratelimit.Message(f"+{n}", "hello") for n in range(8)]
    loop = asyncio.get_running_loop()
    started = loop.time()
    ids = await paced(
        30,
        ratelimit.send_all(gateway, bucket, messages),
        what="send_all(gateway, bucket, 8 messages)",
    )
    elapsed = loop.time() - started
    assert list(ids) == [f"id-+{n}" for n in range(8)], (
        f"send_all returned {ids!r}; expected the gateway's ids in the order of the messages."
    )
    starts = [round(t - started, 6) for t in gateway.started]
    expected = [0.0, 0.0, 0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert starts == pytest.approx(expected), (
        f"with TokenBucket(rate=5, burst=3), the 8 requests started at {starts} s; expected "
        f"{expected}: three at once, then one every 0.2 s. Each send must wait for a token."
    )
    assert gateway.in_flight.peak >= 5 and elapsed == pytest.approx(2.0), (
        f"send_all took {elapsed:g} s with at most {gateway.in_flight.peak} requests in flight; "
        "expected 2.0 s with 5 or more overlapping (1 s per request). The bucket paces when "
        "requests start; the requests themselves run concurrently (gather or a TaskGroup)."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_send_all_stops_the_other_sends_when_one_fails() -> None:
    """When a send fails, send_all raises its error with no other send left running or
    waiting for a token."""
    gateway = ProbedGateway(latency=0.1, refused=frozenset({"+1"}))
    bucket = ratelimit.TokenBucket(rate=5, burst=3)
    messages = [ratelimit.Message(f"+{n}", "hello") for n in range(8)]
    what = "send_all(gateway, bucket, 8 messages), the 2nd one refused"
    # within() also checks, the instant send_all returns, that no task it started still runs.
    ids, error = await outcome(30, ratelimit.send_all(gateway, bucket, messages), what)
    started_by_then = len(gateway.started)
    await asyncio.sleep(5)  # would a send left waiting for a token still go out?
    assert error is not None and all(isinstance(e, GatewayDown) for e in leaves(error)), (
        f"{what} "
        + (f"raised {error!r}" if error else f"returned {ids!r}")
        + "; expected the gateway's GatewayDown, bare or in an ExceptionGroup."
    )
    assert len(gateway.started) == started_by_then and gateway.in_flight.current == 0, (
        f"{what} raised after {started_by_then} requests had started, yet "
        f"{len(gateway.started) - started_by_then} more started afterwards: sends left waiting "
        "for a token went out after send_all had given up. Cancel the others when one fails "
        "(a TaskGroup does, and waits for them)."
    )
