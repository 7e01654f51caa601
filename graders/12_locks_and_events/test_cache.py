"""Grades exercises/12_locks_and_events/cache.py: one fetch per key, shared outcomes.

Requirements:
- 1: concurrent callers for a missing key make one fetch and all get its value
  -> test_concurrent_callers_share_one_fetch
- 1: a fetched value is cached and returned at once -> test_a_fetched_value_is_cached
- 1: two keys are fetched at the same time -> test_different_keys_fetch_concurrently
- 1: a cached key answers at once during another key's fetch
  -> test_a_cached_key_answers_during_another_fetch
- 2: a failed fetch: every waiter raises its error, one fetch made
  -> test_an_error_reaches_every_waiter
- 2: nothing cached, the flight forgotten, the next get fetches again
  -> test_the_next_call_after_an_error_retries
- 2: a cancelled leader: the waiters neither hang nor return nothing, one of them fetches
  again (one new fetch), the leader ends cancelled
  -> test_a_cancelled_leader_does_not_strand_the_waiters
- 3: get_many gets the distinct keys concurrently and returns a dict of key to value
  -> test_get_many_fetches_the_keys_concurrently, test_get_many_fetches_a_repeated_key_once
- 3: a failing key makes get_many raise with no other get left running
  -> test_get_many_fails_with_nothing_left_running
- checks: no task left running, no coroutine un-awaited, the loop never blocked
  -> test_get_many_fails_with_nothing_left_running, test_concurrent_callers_share_one_fetch
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest

from katagrader import InFlight, learner_module, leaves, outcome, within

cache_module = learner_module("cache")

T = TypeVar("T")


class ProbeBackendError(Exception):
    """The grader's backend failed."""


class ProbedBackend:
    """A backend whose fetches take `latency` virtual seconds (or `slow[key]`), are logged,
    and are counted while in flight. `failures[key]` fetches of `key` fail before one works."""

    def __init__(
        self,
        latency: float = 1.0,
        *,
        failures: dict[str, int] | None = None,
        slow: dict[str, float] | None = None,
    ) -> None:
        self.latency = latency
        self.failures = dict(failures or {})
        self.slow = slow or {}
        self.calls: list[str] = []
        self.in_flight = InFlight()

    async def fetch(self, key: str) -> str:
        self.calls.append(key)
        async with self.in_flight:
            await asyncio.sleep(self.slow.get(key, self.latency))
        if self.failures.get(key, 0) > 0:
            self.failures[key] -= 1
            raise ProbeBackendError(f"backend down for {key}")
        return f"value of {key}"


def new_cache(backend: ProbedBackend) -> Any:
    return cache_module.SingleFlightCache(backend.fetch)


def raise_not_started(outcomes: list[Any]) -> None:
    """An unfinished step reads as "not started", whichever caller hit it first."""
    for each in outcomes:
        if isinstance(each, NotImplementedError):
            raise each


async def gathered(*awaitables: Awaitable[Any]) -> list[Any]:
    """Each awaitable's result or exception. A coroutine rather than a bare gather() future,
    so that within() can cancel it as a task and say where it was stuck."""
    return list(await asyncio.gather(*awaitables, return_exceptions=True))


async def together(cache: Any, key: str, callers: int, *, seconds: float = 30) -> list[Any]:
    """`callers` tasks released at the same instant by a Barrier, each calling
    cache.get(key); returns each one's value or exception."""
    barrier = asyncio.Barrier(callers)

    async def caller() -> Any:
        await barrier.wait()
        return await cache.get(key)

    outcomes = await within(
        seconds,
        gathered(*(caller() for _ in range(callers))),
        what=f"{callers} concurrent cache.get({key!r})",
    )
    raise_not_started(outcomes)
    return list(outcomes)


async def timed(awaitable: Awaitable[T], *, what: str, seconds: float = 30) -> tuple[T, float]:
    """The result and the virtual seconds it took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await within(seconds, awaitable, what=what)
    return result, loop.time() - started


# Step 1: one fetch, shared -----------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_concurrent_callers_share_one_fetch() -> None:
    """Five callers released together for a missing key cause one fetch and all get its value."""
    backend = ProbedBackend()
    cache = new_cache(backend)
    outcomes = await together(cache, "sku-1", 5)
    assert outcomes == ["value of sku-1"] * 5, (
        f"5 concurrent cache.get('sku-1') returned {outcomes}; expected 'value of sku-1' for each."
    )
    assert backend.calls == ["sku-1"], (
        f"5 concurrent cache.get('sku-1') made {len(backend.calls)} fetches; expected 1. The "
        "first caller fetches; the others must find its Flight in the cache and wait on its "
        "`done` Event instead of fetching too (a cache stampede)."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_a_fetched_value_is_cached() -> None:
    """A later get of a fetched key returns the value at once, without fetching."""
    backend = ProbedBackend()
    cache = new_cache(backend)
    await within(10, cache.get("sku-2"), what="cache.get('sku-2')")
    value, elapsed = await timed(cache.get("sku-2"), what="the second cache.get('sku-2')")
    assert value == "value of sku-2" and backend.calls == ["sku-2"] and elapsed == 0, (
        f"a second cache.get('sku-2') returned {value!r} after {elapsed:g} s, with "
        f"{len(backend.calls)} fetches in all; expected the cached value at once, 1 fetch."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_different_keys_fetch_concurrently() -> None:
    """Two callers for two different keys fetch at the same time: neither waits for the other."""
    backend = ProbedBackend()
    cache = new_cache(backend)
    barrier = asyncio.Barrier(2)

    async def caller(key: str) -> Any:
        await barrier.wait()
        return await cache.get(key)

    outcomes = await within(
        30,
        gathered(caller("sku-a"), caller("sku-b")),
        what="cache.get('sku-a') and cache.get('sku-b') together",
    )
    raise_not_started(list(outcomes))
    assert list(outcomes) == ["value of sku-a", "value of sku-b"], (
        f"cache.get('sku-a') and cache.get('sku-b') together returned {outcomes}."
    )
    assert backend.in_flight.peak == 2, (
        f"cache.get('sku-a') and cache.get('sku-b'), called together, had at most "
        f"{backend.in_flight.peak} fetch in flight; expected 2 at once. One Lock for the whole "
        "cache, held during the fetch, makes every key wait for every other: coordinate per "
        "key (one Flight and one Event per key)."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_a_cached_key_answers_during_another_fetch() -> None:
    """While one key's fetch is slow, a cached key is still returned at once."""
    backend = ProbedBackend(slow={"sku-slow": 20})
    cache = new_cache(backend)
    await within(10, cache.get("sku-hot"), what="cache.get('sku-hot')")
    slow = asyncio.create_task(cache.get("sku-slow"))
    try:
        await asyncio.sleep(1)
        if slow.done():
            slow.result()
        value, elapsed = await timed(
            cache.get("sku-hot"), what="cache.get('sku-hot') during a 20 s fetch of another key"
        )
    finally:
        slow.cancel()
        await asyncio.gather(slow, return_exceptions=True)
        # A design that shields the fetch from its callers' cancellation lets it finish
        # in the background; give it the (virtual) time to do so.
        await asyncio.sleep(30)
    assert value == "value of sku-hot" and elapsed == 0, (
        f"cache.get('sku-hot'), already cached, took {elapsed:g} s while 'sku-slow' was being "
        f"fetched, and returned {value!r}; expected its value at once. Never hold a lock "
        "shared by all keys across `await fetch(...)`."
    )


# Step 2: errors and cancellation --------------------------------------------------------


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_an_error_reaches_every_waiter() -> None:
    """When the one fetch fails, all five concurrent callers get its error; one fetch is made."""
    backend = ProbedBackend(failures={"sku-3": 1})
    cache = new_cache(backend)
    outcomes = await together(cache, "sku-3", 5)
    wrong = [o for o in outcomes if not isinstance(o, ProbeBackendError)]
    assert not wrong, (
        f"the fetch of 'sku-3' failed; 5 concurrent cache.get('sku-3') gave {outcomes}; "
        "expected each to raise the fetch's ProbeBackendError. Store the error on the Flight, "
        "set the Event anyway, and re-raise the error in every waiter."
    )
    assert backend.calls == ["sku-3"], (
        f"the fetch of 'sku-3' failed and the 5 waiting callers made {len(backend.calls)} "
        "fetches; expected 1: the waiters share the leader's error instead of each fetching "
        "again (a failing backend is the worst one to hit five times)."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_the_next_call_after_an_error_retries() -> None:
    """A failed fetch is not cached: the next get fetches again and returns the value."""
    backend = ProbedBackend(failures={"sku-4": 1})
    cache = new_cache(backend)
    first = await within(10, gathered(cache.get("sku-4")), what="cache.get('sku-4')")
    raise_not_started(list(first))
    assert isinstance(first[0], ProbeBackendError), (
        f"cache.get('sku-4') with a failing backend gave {first[0]!r}; expected the fetch's "
        "ProbeBackendError to be raised."
    )
    try:
        value = await within(10, cache.get("sku-4"), what="cache.get('sku-4') after an error")
    except ProbeBackendError as exc:
        raise AssertionError(
            f"after a failed fetch, the next cache.get('sku-4') raised the old error again "
            f"({exc}) with {len(backend.calls)} fetch in all; expected a new fetch, which "
            "works. Remove the failed Flight from the cache (in a `finally:`) so that the "
            "next call starts a new one."
        ) from None
    assert value == "value of sku-4" and backend.calls == ["sku-4", "sku-4"], (
        f"after a failed fetch, cache.get('sku-4') returned {value!r} with fetches "
        f"{backend.calls}; expected a second fetch and its value."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_a_cancelled_leader_does_not_strand_the_waiters() -> None:
    """If the fetching caller is cancelled, the callers waiting for it still get the value."""
    backend = ProbedBackend()
    cache = new_cache(backend)
    leader = asyncio.create_task(cache.get("sku-5"))
    await asyncio.sleep(0.25)
    waiters = [asyncio.create_task(cache.get("sku-5")) for _ in range(3)]
    await asyncio.sleep(0.25)
    leader.cancel()
    try:
        outcomes = await within(
            30,
            gathered(*waiters),
            what="3 cache.get('sku-5') waiting for a leader that was cancelled",
        )
    finally:
        for task in waiters:
            task.cancel()
        leader_outcome = (await asyncio.gather(leader, return_exceptions=True))[0]
    raise_not_started([leader_outcome, *outcomes])
    assert list(outcomes) == ["value of sku-5"] * 3, (
        f"the first cache.get('sku-5') was cancelled during its fetch; the 3 callers waiting "
        f"for it got {outcomes}; expected 'value of sku-5' each. A cancelled leader sets "
        "neither value nor error (CancelledError is not an Exception): set the Event in a "
        "`finally:` and, when a waiter wakes to find neither, let it fetch again."
    )
    assert isinstance(leader_outcome, asyncio.CancelledError), (
        f"the cancelled cache.get('sku-5') ended with {leader_outcome!r}; expected it to be "
        "cancelled (never swallow CancelledError)."
    )
    # The cancelled fetch, then one new fetch for all three waiters (or none, when the
    # first fetch was shielded from its caller's cancellation and finished anyway).
    assert len(backend.calls) <= 2, (
        f"after the leader was cancelled, its 3 waiters made {len(backend.calls) - 1} new "
        f"fetches of 'sku-5' ({len(backend.calls)} in all); expected one new fetch shared by "
        "the three: the first waiter to wake leads a new Flight, the others wait on it "
        "(loop back to the top of get(), do not call fetch directly)."
    )


# Step 3: get_many ------------------------------------------------------------------------


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_get_many_fetches_the_keys_concurrently() -> None:
    """get_many fetches all its keys at once and maps each key to its value."""
    backend = ProbedBackend()
    cache = new_cache(backend)
    keys = ["sku-x", "sku-y", "sku-z"]
    result, elapsed = await timed(cache.get_many(keys), what=f"cache.get_many({keys})")
    assert result == {k: f"value of {k}" for k in keys}, (
        f"cache.get_many({keys}) returned {result!r}; expected each key mapped to its value."
    )
    assert backend.in_flight.peak == 3 and elapsed == 1, (
        f"cache.get_many({keys}) had at most {backend.in_flight.peak} fetches in flight and "
        f"took {elapsed:g} s; expected 3 at once, 1 s. Start a get() for every key before "
        "awaiting any (a TaskGroup or gather)."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_get_many_fails_with_nothing_left_running() -> None:
    """If one key's fetch fails, get_many raises its error once no other get is running."""
    backend = ProbedBackend(failures={"sku-bad": 1}, slow={"sku-slow": 5})
    cache = new_cache(backend)
    keys = ["sku-slow", "sku-bad"]
    what = f"cache.get_many({keys}) with 'sku-bad' failing at 1 s"
    # within() also checks, the instant get_many returns, that no task it started still runs.
    result, error = await outcome(30, cache.get_many(keys), what)
    assert error is not None and all(isinstance(e, ProbeBackendError) for e in leaves(error)), (
        f"{what} "
        + (f"raised {error!r}" if error else f"returned {result!r}")
        + "; expected the fetch's ProbeBackendError, bare or in an ExceptionGroup."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_get_many_fetches_a_repeated_key_once() -> None:
    """A key listed twice, or already cached, is not fetched again."""
    backend = ProbedBackend()
    cache = new_cache(backend)
    await within(10, cache.get("sku-hot"), what="cache.get('sku-hot')")
    keys = ["sku-p", "sku-hot", "sku-p", "sku-q"]
    result = await within(30, cache.get_many(keys), what=f"cache.get_many({keys})")
    assert result == {k: f"value of {k}" for k in ("sku-p", "sku-hot", "sku-q")}, (
        f"cache.get_many({keys}) returned {result!r}; expected one entry per distinct key."
    )
    assert sorted(backend.calls) == ["sku-hot", "sku-p", "sku-q"], (
        f"cache.get_many({keys}), with 'sku-hot' cached, made the fetches {backend.calls}; "
        "expected one each for 'sku-p' and 'sku-q'."
    )
