"""Grades exercises/18_thread_bridge/sensor_bridge.py: readings cross from a thread to the loop
safely, the sensor thread is joined, and a thread can ask the loop for a decision.

The burst test holds the loop in a grader callback (a few microseconds; 0.1 s at most, far
below the 0.3 s blocking threshold) while the sensor's thread calls back every reading and
then the end, so every hand-off is queued before the loop runs any: an end marker that
takes another path than the readings (a task per reading) overtakes them every time.

The timeout test uses a `decide` that answers only when released (at 4 s of real time, a
fallback): whether the handler raised before that answer is an observation, not a race.
Its elapsed-time bound is measured on the driver's thread: under 1.8 s for a 1 s timeout,
where a correct handler needs 1 s plus a thread wake-up and one that waits for `decide` a
second time needs 2 s at the least.

Requirements:
- 1: readings handed to the loop thread-safely, once each, in order; the stream ends
  -> test_every_reading_arrives_once_in_order
- 1: a burst of readings and the end, all queued before the loop runs any: each reading
  once, in order, then the end (same path for both, each hand-off its own reading)
  -> test_a_burst_of_readings_arrives_whole_before_the_end
- 1: a sensor with no readings gives an empty stream -> test_an_empty_sensor_ends_the_stream
- 1: what `__anext__` does when called again after the end -> not graded: the README leaves
  it open (a stream is read once, inside its `async with`)
- 2: closing stops the sensor once and its thread has ended -> test_closing_stops_and_joins_the_sensor
- 2: closing a stream that ended by itself still stops and joins the sensor
  -> test_closing_after_the_end_stops_and_joins_the_sensor
- 2: stopping a slow sensor does not block the loop -> test_closing_does_not_block_the_loop
- 3: the handler returns decide's answer -> test_overheat_handler_returns_the_decision
- 3: decide runs on the given loop's thread -> test_decision_runs_on_the_event_loop
- 3: decide's exception reaches the driver -> test_decision_errors_reach_the_driver
- 3: after `timeout`: TimeoutError at once (under 1.8 s for 1 s; not a second wait), decide
  cancelled -> test_decision_times_out
"""

from __future__ import annotations

import asyncio
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from katagrader import learner_module, within

bridge = learner_module("sensor_bridge")


class LoopThreadGuard:
    """Catches asyncio calls made from the wrong thread, without letting them break the loop.

    Debug mode makes `loop.call_soon` from another thread raise, but by then the caller has
    half-done its work (a Queue has woken a consumer that will now never run) and the test
    would hang. This guard replaces the loop's `call_soon` for the test: a call from another
    thread is recorded, with the learner's line, and forwarded safely.
    """

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.loop_thread = threading.get_ident()
        self.violations: list[str] = []

    def __enter__(self) -> LoopThreadGuard:
        original = self.loop.call_soon

        def call_soon(callback: Any, *args: Any, context: Any = None) -> asyncio.Handle:
            if threading.get_ident() != self.loop_thread:
                self.violations.append(self._where())
                return self.loop.call_soon_threadsafe(callback, *args, context=context)
            return original(callback, *args, context=context)

        self.loop.call_soon = call_soon  # type: ignore[method-assign, assignment]
        self.loop.set_debug(True)  # the other non-thread-safe calls raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        del self.loop.call_soon  # back to the class's method
        self.loop.set_debug(False)

    @staticmethod
    def _where() -> str:
        learner_file = str(bridge.path)
        frames = [f for f in traceback.extract_stack() if f.filename == learner_file]
        if not frames:
            return "a line outside your file"
        frame = frames[-1]
        try:
            shown = str(Path(learner_file).relative_to(Path.cwd()))
        except ValueError:
            shown = learner_file
        return f"{shown}, line {frame.lineno}, in {frame.name}(): {(frame.line or '').strip()}"

    def check(self) -> None:
        if self.violations:
            raise AssertionError(
                f"the sensor's thread touched the event loop directly, at {self.violations[0]}. "
                "asyncio objects (a Queue's put_nowait, an Event's set, a Future's set_result) "
                "are not thread-safe: from another thread they schedule work on the loop the "
                "unsafe way (in debug mode that raises; otherwise the loop may sleep through "
                "it). Hand the call to the loop's thread instead: "
                "`loop.call_soon_threadsafe(queue.put_nowait, item)`."
            )


class ProbedSensor:
    """A driver like the vendor's: it calls back from its own thread, and records what
    went wrong there (asyncio debug mode makes a non-thread-safe call raise)."""

    def __init__(
        self,
        temperatures: list[float] | None,
        *,
        interval: float = 0.003,
        park_time: float = 0.0,
        burst: bool = False,
        lives_on_after_end: bool = False,
    ) -> None:
        self.temperatures = temperatures  # None: readings never end
        self.interval = interval
        self.park_time = park_time
        # burst: every reading and the end are called back while the loop is held busy
        self.burst = burst
        # lives_on_after_end: after on_end, the thread stays until stop() (parking the head)
        self.lives_on_after_end = lives_on_after_end
        self.loop = asyncio.get_running_loop()
        self.failed = asyncio.Event()  # set (thread-safely) when a callback raised
        self.callback_errors: list[BaseException] = []
        self.start_calls = 0
        self.stop_calls = 0
        self.alive_after_close = True
        self.thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self, on_reading: Callable[[Any], None], on_end: Callable[[], None]) -> None:
        self.start_calls += 1
        # daemon: should a learner's callback hang forever, the grading process can still end
        # (the leak check reports daemon threads too).
        self.thread = threading.Thread(
            target=self._run, args=(on_reading, on_end), name="probed-sensor", daemon=True
        )
        self.thread.start()

    def _run(self, on_reading: Callable[[Any], None], on_end: Callable[[], None]) -> None:
        try:
            if self.burst:
                self._burst(on_reading, on_end)
                return
            seq = 0
            while not self._stopping.is_set():
                if self.temperatures is not None and seq == len(self.temperatures):
                    on_end()
                    if not self.lives_on_after_end:
                        return
                    self._stopping.wait(10)  # until stop() (or the grader's cleanup)
                    break
                on_reading(bridge.Reading(seq, self.celsius(seq)))
                seq += 1
                self._stopping.wait(self.interval)
            time.sleep(self.park_time)  # parking the probe head
        except BaseException as exc:
            self.callback_errors.append(exc)
            self.loop.call_soon_threadsafe(self.failed.set)

    def _burst(self, on_reading: Callable[[Any], None], on_end: Callable[[], None]) -> None:
        """Call back every reading, then the end, while the event loop is held in a callback
        of the grader's: whatever the callbacks hand to the loop is queued before the loop
        runs any of it, as when a fast sensor reads again before the loop wakes up."""
        assert self.temperatures is not None
        held = threading.Event()
        release = threading.Event()

        def hold() -> None:
            held.set()
            # Microseconds in practice; the fallback keeps the hold far below the 0.3 s
            # blocking threshold should a callback wait for the loop (a deadlock otherwise).
            release.wait(0.1)

        self.loop.call_soon_threadsafe(hold)
        held.wait(5)
        try:
            for seq in range(len(self.temperatures)):
                on_reading(bridge.Reading(seq, self.celsius(seq)))
            on_end()
        finally:
            release.set()

    def celsius(self, seq: int) -> float:
        if self.temperatures is not None:
            return self.temperatures[seq]
        return 20.0 + seq / 4

    def stop(self) -> None:
        self.stop_calls += 1
        self._stopping.set()
        if self.thread is not None:
            self.thread.join()

    def thread_alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    async def cleanup(self) -> None:
        """The grader's own cleanup: the sensor thread never outlives the test."""
        self._stopping.set()
        if self.thread is not None:
            await asyncio.to_thread(self.thread.join, 5)


def _callback_failure(sensor: ProbedSensor) -> AssertionError | BaseException:
    error = sensor.callback_errors[0]
    if isinstance(error, NotImplementedError):
        return error  # reported as "not started", at the learner's line
    return AssertionError(
        f"a sensor callback raised {type(error).__name__}: {error}, on the sensor's thread. "
        "The callbacks run on the driver's thread: there is no running event loop there "
        "(capture it in __aenter__ with asyncio.get_running_loop()), and asyncio objects must "
        "not be touched from it (in debug mode that raises). Hand the work to the loop's "
        "thread: `self._loop.call_soon_threadsafe(self._readings.put_nowait, reading)`."
    )


async def consume(sensor: ProbedSensor, *, take: int | None = None, what: str) -> list[Any]:
    """Read the stream (all of it, or `take` readings then break) with the loop guarded
    against calls from the wrong thread; the sensor thread is always joined afterwards.

    `sensor.alive_after_close` records whether its thread was still running once the
    learner's stream had been closed.
    """

    async def read() -> list[Any]:
        got: list[Any] = []
        async with bridge.SensorStream(sensor) as stream:
            async for reading in stream:
                got.append(reading)
                if take is not None and len(got) == take:
                    break
        sensor.alive_after_close = sensor.thread_alive()
        return got

    with LoopThreadGuard() as guard:
        consumer = asyncio.ensure_future(read())
        failed = asyncio.ensure_future(sensor.failed.wait())
        try:
            await within(
                5, asyncio.wait({consumer, failed}, return_when=asyncio.FIRST_COMPLETED), what=what
            )
        finally:
            for task in (consumer, failed):
                task.cancel()
            await asyncio.wait({consumer, failed}, timeout=2)
            await sensor.cleanup()
    if sensor.callback_errors:
        raise _callback_failure(sensor)
    guard.check()
    return consumer.result()


@pytest.mark.task(1)
async def test_every_reading_arrives_once_in_order() -> None:
    """Every reading arrives exactly once, in order, through thread-safe calls; then the stream ends."""
    temperatures = [20.0 + n / 2 for n in range(40)]
    sensor = ProbedSensor(temperatures)
    readings = await consume(sensor, what="async with SensorStream(sensor): read every reading")
    got = [(r.seq, r.celsius) for r in readings]
    expected = list(enumerate(temperatures))
    assert got == expected, (
        f"the stream yielded {len(got)} readings, starting {got[:5]}; expected the sensor's "
        f"{len(expected)} readings once each, in order: {expected[:5]}... "
        "call_soon_threadsafe runs the calls in the order they were made."
    )
    assert sensor.start_calls == 1, (
        f"sensor.start was called {sensor.start_calls} times; expected once."
    )


@pytest.mark.task(1)
async def test_an_empty_sensor_ends_the_stream() -> None:
    """A sensor that ends before its first reading gives an empty stream, not a hang."""
    sensor = ProbedSensor([])
    readings = await consume(
        sensor, what="async with SensorStream(sensor) on a sensor with no readings"
    )
    assert readings == [], (
        f"the stream of a sensor with no readings yielded {readings}; expected none."
    )


@pytest.mark.task(1)
async def test_a_burst_of_readings_arrives_whole_before_the_end() -> None:
    """Readings called back in a burst, the end right after them, while the loop is busy:
    each reading arrives once, in order, and only then does the stream end."""
    temperatures = [30.0 + n for n in range(12)]
    sensor = ProbedSensor(temperatures, burst=True)
    readings = await consume(
        sensor, what="async with SensorStream(sensor): read a burst of 12 readings and the end"
    )
    got = [r.seq for r in readings]
    expected = list(range(len(temperatures)))
    if got == expected:
        return
    if len(set(got)) < len(got):
        why = (
            "Some readings came twice and others never: each hand-off must carry its own "
            "reading (`loop.call_soon_threadsafe(self._readings.put_nowait, reading)`); a "
            "callback that reads a shared attribute (the latest reading) when the loop gets "
            "round to it sees only the newest one."
        )
    else:
        why = (
            "The end marker overtook readings that were called back before it. Send the "
            "readings and the end marker the same way, "
            "`loop.call_soon_threadsafe(self._readings.put_nowait, item)`: the loop runs those "
            "calls in the order they were made. `run_coroutine_threadsafe(queue.put(...))` "
            "puts the reading a loop step later, from a new task, behind an end marker handed "
            "over right after it."
        )
    raise AssertionError(
        f"the sensor called on_reading 12 times and then on_end, all while the event loop "
        f"was busy (so every hand-off was queued before the loop ran any); the stream "
        f"yielded readings {got} and ended; expected {expected}, then the end. {why}"
    )


@pytest.mark.task(2)
async def test_closing_after_the_end_stops_and_joins_the_sensor() -> None:
    """A stream that ended by itself is closed too: stop() called once and the sensor's
    thread ended by the time the `async with` block is left."""
    # This sensor's thread stays after on_end until it is stopped (parking the head).
    sensor = ProbedSensor([21.0, 21.5, 22.0, 22.5, 23.0], lives_on_after_end=True)
    readings = await consume(sensor, what="async with SensorStream(sensor): read to the end")
    assert [r.seq for r in readings] == [0, 1, 2, 3, 4], (
        f"the stream yielded readings {[r.seq for r in readings]}; expected [0, 1, 2, 3, 4]."
    )
    assert sensor.stop_calls == 1 and not sensor.alive_after_close, (
        f"the sensor called on_end and the stream ended; after `async with "
        f"SensorStream(sensor)` was left, sensor.stop() had been called {sensor.stop_calls} "
        f"time(s) and its thread was {'still' if sensor.alive_after_close else 'no longer'} "
        "running; expected stop() called once and the thread ended. A driver's thread may "
        "outlive on_end (this one parks the probe head when stopped): aclose must stop the "
        "sensor and wait for its thread whether or not the readings had ended: "
        "`await asyncio.to_thread(self._sensor.stop)`, every time."
    )


@pytest.mark.task(2)
async def test_closing_stops_and_joins_the_sensor() -> None:
    """Leaving the stream early stops the sensor once and its thread has ended by then."""
    sensor = ProbedSensor(None)  # never ends by itself
    readings = await consume(sensor, take=5, what="reading 5 readings, then break")
    assert [r.seq for r in readings] == [0, 1, 2, 3, 4], (
        f"the first 5 readings were {[r.seq for r in readings]}; expected [0, 1, 2, 3, 4]."
    )
    assert sensor.stop_calls == 1, (
        f"after `async with SensorStream(sensor)` ended, sensor.stop() had been called "
        f"{sensor.stop_calls} times; expected once. The sensor's thread keeps reading (and "
        "calling you back) until it is stopped: aclose must stop it."
    )
    assert not sensor.alive_after_close, (
        "the sensor's thread was still running after the stream was closed; expected it "
        "joined. sensor.stop() joins it: await it (off the loop) in aclose."
    )


@pytest.mark.task(2)
async def test_closing_does_not_block_the_loop() -> None:
    """Closing waits for the sensor to park (0.6 s) without blocking the event loop."""
    sensor = ProbedSensor(None, park_time=0.6)
    await consume(sensor, take=2, what="reading 2 readings from a slow-to-park sensor, then break")
    assert sensor.stop_calls == 1 and not sensor.alive_after_close, (
        f"after the stream was closed, sensor.stop() had been called {sensor.stop_calls} times "
        f"and its thread was {'still' if sensor.alive_after_close else 'no longer'} running; "
        "expected stop() called once and the thread ended. Await "
        "asyncio.to_thread(sensor.stop) in aclose."
    )


class Supervisor:
    """The grader's async `decide`: records where it ran; cuts above 95 °C."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.ran_on: list[tuple[asyncio.AbstractEventLoop, threading.Thread]] = []

    async def decide(self, reading: Any) -> bool:
        self.ran_on.append((asyncio.get_running_loop(), threading.current_thread()))
        await asyncio.sleep(0.05)  # asking the supervisor service
        if self.error is not None:
            raise self.error
        return bool(reading.celsius >= 95)


async def call_from_driver_thread(
    handler: Callable[[Any], bool], reading: Any, timing: list[float] | None = None
) -> bool:
    """Call the learner's handler on a separate thread, as the driver would, and join it.

    `timing` receives how long the call took, measured on that thread (no thread start-up,
    no loop wake-up in it)."""
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    outcome: list[Any] = []

    def driver() -> None:
        started = time.monotonic()
        try:
            outcome.append(("ok", handler(reading)))
        except BaseException as exc:
            outcome.append(("error", exc))
        finally:
            if timing is not None:
                timing.append(time.monotonic() - started)
            loop.call_soon_threadsafe(done.set)

    # daemon: should the learner's handler hang forever, the grading process can still end
    thread = threading.Thread(target=driver, name="probed-driver", daemon=True)
    thread.start()
    try:
        await within(5, done.wait(), what=f"on_overheat({reading}) on the driver's thread")
    finally:
        await asyncio.to_thread(thread.join, 5)
    kind, value = outcome[0]
    if kind == "error":
        raise value
    return bool(value)


class SupervisorDown(Exception):
    pass


@pytest.mark.task(3)
async def test_overheat_handler_returns_the_decision() -> None:
    """Called on the driver's thread, the handler returns what decide answered."""
    supervisor = Supervisor()
    handler = bridge.overheat_handler(asyncio.get_running_loop(), supervisor.decide)
    hot = await call_from_driver_thread(handler, bridge.Reading(7, 97.5))
    warm = await call_from_driver_thread(handler, bridge.Reading(8, 91.0))
    assert (hot, warm) == (True, False), (
        f"on_overheat returned {hot!r} for 97.5 °C and {warm!r} for 91.0 °C; expected True "
        "and False, decide's answers. run_coroutine_threadsafe gives a concurrent Future: "
        "wait for it with `.result(timeout)` and return that."
    )


@pytest.mark.task(3)
async def test_decision_runs_on_the_event_loop() -> None:
    """decide runs on the given event loop's thread, not on a new loop in the driver's thread."""
    loop = asyncio.get_running_loop()
    supervisor = Supervisor()
    handler = bridge.overheat_handler(loop, supervisor.decide)
    await call_from_driver_thread(handler, bridge.Reading(1, 99.0))
    assert supervisor.ran_on, "on_overheat never ran decide(reading); expected it to, once."
    ran_loop, ran_thread = supervisor.ran_on[0]
    assert ran_loop is loop and ran_thread is threading.current_thread(), (
        f"decide(reading) ran on thread {ran_thread.name!r} in "
        f"{'the given' if ran_loop is loop else 'another'} event loop; expected the given loop, "
        "on its own thread. asyncio.run() in the driver's thread starts a second loop there, "
        "where the application's async clients do not live. Use "
        "asyncio.run_coroutine_threadsafe(decide(reading), loop)."
    )


@pytest.mark.task(3)
async def test_decision_errors_reach_the_driver() -> None:
    """If decide raises, the handler raises the same exception on the driver's thread."""
    supervisor = Supervisor(error=SupervisorDown("supervisor unreachable"))
    handler = bridge.overheat_handler(asyncio.get_running_loop(), supervisor.decide)
    try:
        answer = await call_from_driver_thread(handler, bridge.Reading(2, 99.0))
    except SupervisorDown:
        return
    raise AssertionError(
        f"decide(reading) raised SupervisorDown, but on_overheat returned {answer!r} on the "
        "driver's thread; expected the same exception, so the driver knows there is no "
        "decision. future.result() re-raises the coroutine's exception: don't catch it."
    )


class StuckSupervisor:
    """A `decide` that does not answer until the test releases it: it records whether it
    was cancelled, and when the handler's caller got control back compared to its release."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.cancelled = False
        self.answered = False

    async def decide(self, reading: Any) -> bool:
        try:
            await self.release.wait()  # the supervisor service is very slow today
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        self.answered = True
        return True


# The handler's timeout, and the bound on how long the call may take, on the driver's thread.
# A correct handler returns after TIMEOUT plus a thread wake-up (milliseconds; the bound
# leaves 0.8 s for a loaded machine); waiting for decide a second time takes 2 * TIMEOUT at
# the least, however fast the machine.
TIMEOUT = 1.0
TIMEOUT_BOUND = 1.8


@pytest.mark.task(3)
async def test_decision_times_out() -> None:
    """With a decide that does not answer, the handler raises TimeoutError after `timeout`
    (1 s; under 1.8 s on the driver's thread), long before decide would answer (4 s), and
    cancels decide."""
    loop = asyncio.get_running_loop()
    supervisor = StuckSupervisor()
    handler = bridge.overheat_handler(loop, supervisor.decide, TIMEOUT)
    answers_at = loop.call_later(4, supervisor.release.set)
    timing: list[float] = []
    try:
        try:
            answer: object = await call_from_driver_thread(handler, bridge.Reading(3, 99.0), timing)
        except TimeoutError as exc:
            answer = exc
        elapsed = timing[0]
        answered_first = supervisor.answered
        # Give a cancellation made by the handler the loop steps it needs to land.
        for _ in range(5):
            await asyncio.sleep(0)
    finally:
        answers_at.cancel()
        supervisor.release.set()
    assert isinstance(answer, TimeoutError) and not answered_first, (
        "on_overheat(reading) with timeout=1 and a decide that answers only after 4 s "
        + (
            f"returned {answer!r} after {elapsed:.1f} s, once decide had answered"
            if answered_first
            else f"gave {answer!r} after {elapsed:.1f} s"
        )
        + "; expected TimeoutError after about 1 s: the driver cannot wait that long. "
        "Wait with `future.result(timeout)`."
    )
    assert elapsed < TIMEOUT_BOUND, (
        f"on_overheat(reading) with timeout=1 raised TimeoutError only after {elapsed:.1f} s "
        f"on the driver's thread; expected it at once when the timeout passes: about 1 s "
        f"(under {TIMEOUT_BOUND} s, a wide margin). Once `future.result(timeout)` has raised, "
        "don't wait for decide again: cancel the future and re-raise."
    )
    assert supervisor.cancelled, (
        "on_overheat(reading) timed out, but decide(reading) was left running on the loop for "
        "nobody. Cancel it: `future.cancel()` on the run_coroutine_threadsafe future cancels "
        "the coroutine's task."
    )
