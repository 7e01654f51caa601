"""Grades exercises/17_blocking_code/geocoder.py: blocking calls run on threads, with a limit.

The probe client counts lookups in flight with a thread-safe counter and holds them until
the expected number run together. For the order test the lookups finish last address
first, each released only once the later one's thread has handed its result over (left
the executor's work item): results collected in completion order come back reversed on
every run, not only when the threads happen to finish so.

Requirements:
- 1: the client's answer, looked up once -> test_geocode_returns_the_client_answer
- 1: the lookup runs on another thread than the loop's -> test_lookup_runs_off_the_event_loop
- 1: two gathered calls overlap -> test_two_lookups_overlap
- 2: answers in the order of the addresses, whatever order they finish in -> test_geocode_all_keeps_input_order
- 2: exactly `limit` lookups at once, never more -> test_geocode_all_runs_limit_lookups_at_once
- 2: an empty list gives [] and no lookup -> test_geocode_all_of_nothing
- 3: lookup runs on the pool's own threads, not the default executor -> test_pool_lookup_runs_on_its_own_threads
- 3: `workers` lookups at a time -> test_pool_runs_workers_lookups_at_once
- 3: after aclose() the pool's threads have ended -> test_aclose_stops_the_pool_threads
- 3: aclose() waits for running lookups without blocking the loop
  -> test_aclose_waits_for_lookups_without_blocking_the_loop
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import sys
import threading
import time
from collections.abc import Callable

import pytest

from katagrader import ThreadInFlight, learner_module, within

geocoder = learner_module("geocoder")

# Each lookup blocks its thread this long: long enough that a lookup run on the event loop
# itself is caught by the automatic blocked-loop check (0.3 s).
HOLD = 0.5
# Where another check already catches a lookup on the loop, a shorter hold keeps grading fast.
SHORT_HOLD = 0.2


def expected_for(address: str) -> tuple[float, float]:
    digest = hashlib.sha256(address.encode()).digest()
    return (digest[0] / 10, digest[1] / 10)


class ProbedGeocoder:
    """A blocking client that records which thread ran each lookup and how many overlapped.

    A lookup holds its thread for `hold` seconds. To make the peak count independent of how
    fast threads start on a busy machine, a lookup first waits (up to `patience` seconds, once
    per probe) until `expected` lookups have been in flight together. A lookup made on the
    event loop's own thread blocks the loop once (long enough to be reported), and later ones
    return at once, so that a wrong answer is graded quickly.
    """

    def __init__(
        self,
        expected: int = 1,
        hold: float = HOLD,
        patience: float = 0.5,
        finish_reversed: list[str] | None = None,
    ) -> None:
        self.expected = expected
        # With `finish_reversed`, the lookup of each of these addresses returns only once
        # every address after it has been delivered: the last one finishes first.
        self.finish_reversed = finish_reversed or []
        self._delivered: dict[str, int] = {}  # address -> the thread that returned it
        self.hold = hold
        self.patience = patience
        self.in_flight = ThreadInFlight()
        self.calls: list[str] = []
        self.threads: list[threading.Thread] = []
        self._condition = threading.Condition()
        self._gave_up = False
        self._loop_thread = threading.get_ident()  # the probe is made on the loop's thread
        self._blocked_loop_once = False
        self.on_start: Callable[[], object] = lambda: None

    def lookup(self, address: str) -> object:
        self.calls.append(address)
        self.threads.append(threading.current_thread())
        with self.in_flight:
            self.on_start()
            if threading.get_ident() == self._loop_thread:
                if not self._blocked_loop_once:
                    self._blocked_loop_once = True
                    time.sleep(HOLD)  # enough for the blocked-loop check to see it
                return geocoder.Coordinates(*expected_for(address))
            with self._condition:
                self._condition.notify_all()
                if not self._gave_up and not self._condition.wait_for(
                    lambda: self.in_flight.peak >= self.expected, timeout=self.patience
                ):
                    self._gave_up = True
            time.sleep(self.hold)  # the blocking network wait
            self._wait_for_later_addresses(address)
        return self._deliver(address)

    def _deliver(self, address: str) -> object:
        with self._condition:
            self._delivered[address] = threading.get_ident()
            self._condition.notify_all()
        return geocoder.Coordinates(*expected_for(address))

    def _wait_for_later_addresses(self, address: str) -> None:
        """Hold this lookup until every later address of `finish_reversed` has returned and
        its thread has handed the result to the loop.

        A thread that returned from `lookup` still has to complete its future (which queues
        the loop callback that resolves the learner's await): waiting until that thread has
        left the executor's work item (`_WorkItem.run`) makes the asyncio-side order the
        reverse of the input order every time, not only when the threads are scheduled so.
        """
        if address not in self.finish_reversed:
            return
        later = self.finish_reversed[self.finish_reversed.index(address) + 1 :]
        deadline = time.monotonic() + 5  # the lookups did not all run at once: give up
        with self._condition:
            while time.monotonic() < deadline and not all(
                a in self._delivered and not _inside_work_item(self._delivered[a]) for a in later
            ):
                self._condition.wait(0.002)


_WORK_ITEM_FILE = os.path.join("concurrent", "futures", "thread.py")


def _inside_work_item(thread_id: int) -> bool:
    """Whether that thread is still inside a ThreadPoolExecutor's `_WorkItem.run` (so has not
    yet set the future of the call it ran). Other kinds of thread count as done."""
    frame = sys._current_frames().get(thread_id)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "run" and code.co_filename.endswith(_WORK_ITEM_FILE):
            return True
        frame = frame.f_back
    return False


def _on_loop_thread(threads: list[threading.Thread]) -> bool:
    return any(t is threading.current_thread() for t in threads)


@pytest.mark.task(1)
async def test_geocode_returns_the_client_answer() -> None:
    """geocode returns what client.lookup returned for the address."""
    client = ProbedGeocoder()
    result = await within(
        5, geocoder.geocode(client, "1 Main St"), what="geocode(client, '1 Main St')"
    )
    expected = geocoder.Coordinates(*expected_for("1 Main St"))
    assert result == expected, (
        f"geocode(client, '1 Main St') returned {result!r}; expected {expected!r}, the "
        "client's own answer."
    )
    assert client.calls == ["1 Main St"], (
        f"client.lookup was called with {client.calls}; expected exactly once, with '1 Main St'."
    )


@pytest.mark.task(1)
async def test_lookup_runs_off_the_event_loop() -> None:
    """The blocking lookup runs in a worker thread, not on the event loop's thread."""
    client = ProbedGeocoder()
    await within(5, geocoder.geocode(client, "2 Main St"), what="geocode(client, '2 Main St')")
    assert client.threads and not _on_loop_thread(client.threads), (
        "geocode(client, '2 Main St') called client.lookup on the event loop's own thread, so "
        "the loop (and every other coroutine) stood still for the whole call. Hand the "
        "blocking call to a thread: `await asyncio.to_thread(client.lookup, address)`."
    )


@pytest.mark.task(1)
async def test_two_lookups_overlap() -> None:
    """Two geocode calls gathered together run their lookups at the same time."""
    client = ProbedGeocoder(expected=2)
    await within(
        5,
        asyncio.gather(geocoder.geocode(client, "a"), geocoder.geocode(client, "b")),
        what="gather(geocode(client, 'a'), geocode(client, 'b'))",
    )
    assert client.in_flight.peak == 2, (
        f"two gathered geocode() calls had at most {client.in_flight.peak} lookup(s) running "
        "at once; expected 2. A lookup running on a worker thread leaves the loop free to start "
        "the next one: use asyncio.to_thread (or loop.run_in_executor)."
    )


@pytest.mark.task(2)
async def test_geocode_all_keeps_input_order() -> None:
    """geocode_all returns one answer per address, in the order of the addresses, although
    the lookups finish in the reverse order."""
    addresses = ["x St", "y St", "z St", "w St"]
    client = ProbedGeocoder(expected=4, hold=SHORT_HOLD, finish_reversed=addresses)
    result = await within(
        10,
        geocoder.geocode_all(client, addresses, limit=4),
        what="geocode_all(client, 4 addresses, limit=4)",
    )
    expected = [geocoder.Coordinates(*expected_for(a)) for a in addresses]
    assert list(result) == expected, (
        f"geocode_all(client, {addresses}, limit=4) returned {result!r}; expected the client's "
        f"answers in the same order: {expected!r}. The grader's lookups finished last address "
        "first"
        + (
            ", and that is the order returned: the results were collected as they completed "
            "(as_completed, or appended when each finished). asyncio.gather keeps the order of "
            "its arguments, whatever order the threads finish in."
            if list(result) == expected[::-1]
            else "."
        )
    )
    assert sorted(client.calls) == sorted(addresses), (
        f"client.lookup was called with {client.calls}; expected each address once."
    )


@pytest.mark.task(2)
async def test_geocode_all_runs_limit_lookups_at_once() -> None:
    """With limit=3 and five addresses, exactly three lookups run at the same time, never more."""
    addresses = [f"{n} High St" for n in range(5)]
    client = ProbedGeocoder(expected=3)
    await within(
        15,
        geocoder.geocode_all(client, addresses, limit=3),
        what="geocode_all(client, 5 addresses, limit=3)",
    )
    peak = client.in_flight.peak
    assert peak <= 3, (
        f"geocode_all(client, 5 addresses, limit=3) had {peak} lookups running at once; the "
        "vendor allows 3. The default executor has several threads of its own: it does not "
        "know your limit. Take an asyncio.Semaphore(limit) around each call (or give the "
        "calls a ThreadPoolExecutor(max_workers=limit))."
    )
    assert peak == 3, (
        f"geocode_all(client, 5 addresses, limit=3) had at most {peak} lookup(s) running at "
        "once; expected 3. Start every lookup before awaiting any (asyncio.gather), and let "
        "the semaphore hold back the rest."
    )


@pytest.mark.task(2)
async def test_geocode_all_of_nothing() -> None:
    """No addresses gives an empty list and no lookup."""
    client = ProbedGeocoder()
    result = await within(
        5, geocoder.geocode_all(client, [], limit=3), what="geocode_all(client, [], limit=3)"
    )
    assert list(result) == [], f"geocode_all(client, [], limit=3) returned {result!r}; expected []."
    assert client.calls == [], f"no lookup should run for no addresses; got {client.calls}."


@pytest.mark.task(3)
async def test_pool_lookup_runs_on_its_own_threads() -> None:
    """GeocoderPool.lookup returns the answer, computed on the pool's threads (not the loop's, not the default executor's)."""
    client = ProbedGeocoder(hold=SHORT_HOLD)
    async with geocoder.GeocoderPool(client, workers=2) as pool:
        result = await within(5, pool.lookup("3 Main St"), what="pool.lookup('3 Main St')")
    expected = geocoder.Coordinates(*expected_for("3 Main St"))
    assert result == expected, (
        f"pool.lookup('3 Main St') returned {result!r}; expected {expected!r}."
    )
    assert not _on_loop_thread(client.threads), (
        "pool.lookup called client.lookup on the event loop's thread, blocking it. Run it on "
        "the pool: `await loop.run_in_executor(self._executor, self._client.lookup, address)`."
    )
    names = [t.name for t in client.threads]
    assert not any(re.fullmatch(r"asyncio_\d+", name) for name in names), (
        f"pool.lookup ran on thread {names[0]!r}, one of the loop's default executor's threads. "
        "asyncio.to_thread always uses the default executor; to use the pool's own threads, "
        "pass its executor: `loop.run_in_executor(self._executor, fn, *args)`."
    )


@pytest.mark.task(3)
async def test_pool_runs_workers_lookups_at_once() -> None:
    """A pool of 2 workers runs exactly 2 of 4 gathered lookups at a time."""
    client = ProbedGeocoder(expected=2, hold=SHORT_HOLD)
    async with geocoder.GeocoderPool(client, workers=2) as pool:
        await within(
            10,
            asyncio.gather(*(pool.lookup(f"{n} Elm St") for n in range(4))),
            what="gather of 4 pool.lookup() calls on GeocoderPool(client, workers=2)",
        )
    peak = client.in_flight.peak
    assert peak == 2, (
        f"GeocoderPool(client, workers=2) ran at most {peak} of 4 gathered lookups at once; "
        "expected 2: one per worker thread. Create the pool with "
        "ThreadPoolExecutor(max_workers=workers) and run every lookup on it."
    )


@pytest.mark.task(3)
async def test_aclose_stops_the_pool_threads() -> None:
    """After aclose, every thread that ran a lookup for the pool has ended."""
    client = ProbedGeocoder(expected=2, hold=SHORT_HOLD)
    pool = geocoder.GeocoderPool(client, workers=2)
    try:
        await within(
            10,
            asyncio.gather(pool.lookup("a"), pool.lookup("b")),
            what="gather(pool.lookup('a'), pool.lookup('b'))",
        )
    finally:
        await within(5, pool.aclose(), what="pool.aclose()")
    alive = sorted({t.name for t in client.threads if t.is_alive()})
    assert not alive, (
        f"after pool.aclose() these threads of the pool are still running: {alive}. A "
        "ThreadPoolExecutor keeps its threads until it is shut down: call "
        "`executor.shutdown(wait=True)` (off the loop) in aclose."
    )


@pytest.mark.task(3)
async def test_aclose_waits_for_lookups_without_blocking_the_loop() -> None:
    """aclose during a running lookup waits for it to finish, while the loop keeps running."""
    client = ProbedGeocoder(hold=0.8)
    loop = asyncio.get_running_loop()
    started = asyncio.Event()
    client.on_start = lambda: loop.call_soon_threadsafe(started.set)
    pool = geocoder.GeocoderPool(client, workers=1)
    lookup = asyncio.ensure_future(pool.lookup("4 Main St"))
    try:

        async def started_or_failed() -> None:
            waiter = asyncio.ensure_future(started.wait())
            try:
                await asyncio.wait({waiter, lookup}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
                await asyncio.gather(waiter, return_exceptions=True)
            if lookup.done():
                lookup.result()  # it failed before starting: report the learner's error

        await within(5, started_or_failed(), what="waiting for pool.lookup('4 Main St') to start")
        await within(5, pool.aclose(), what="pool.aclose() while a lookup is running")
        finished_by_close = lookup.done()
    finally:
        await asyncio.wait({lookup}, timeout=5)
    if lookup.done() and not lookup.cancelled():
        lookup.result()  # a failed lookup is the learner's error: report it
    assert finished_by_close, (
        "pool.aclose() returned while a lookup was still running on the pool; expected it to "
        "wait for running lookups (executor.shutdown(wait=True)) so nothing outlives the pool."
    )
