"""Grades exercises/14_async_iterators/sensor.py: an async iterator class and an async
generator that poll a sensor on a fixed schedule. Every test runs on looptime's fake
clock, so the reading times are exact.

Requirements:
- 1: __aiter__ is a plain method returning the iterator itself
  -> test_aiter_returns_the_iterator_itself
- 1: count readings in the sensor's order; count 0 reads nothing
  -> test_iterator_yields_count_readings, test_zero_readings_read_nothing
- 1: the first reading at once, reading k read at start + k * interval, whatever the
  sensor's latency and the loop body's time -> test_iterator_first_reading_is_immediate,
  test_iterator_keeps_a_fixed_rate, test_iterator_keeps_the_rate_with_a_slow_loop_body
- 1: start is the loop time of the first __anext__, not of construction
  -> test_schedule_starts_at_the_first_reading
- 1: a reading asked for after its due time is read at once, the schedule unchanged
  -> test_a_late_reading_is_taken_at_once
- 1: a read that fails is not a reading: its error comes out, the count is unchanged
  -> test_a_failed_read_is_not_counted
- 1: each Reading is stamped with the loop time its read started
  -> test_iterator_stamps_each_reading_when_its_read_started
- 1: each reading reaches the loop body as soon as it is read (no reading ahead)
  -> test_iterator_hands_over_each_reading_as_it_is_read
- 1: StopAsyncIteration after count readings, on every later call too
  -> test_exhausted_iterator_raises_stop_async_iteration
- 2: every async for over a SensorPoll gets a new PollIterator, with its own schedule
  -> test_sensor_poll_is_reiterable
- 3: poll yields count readings in order; count 0 reads nothing
  -> test_generator_yields_count_readings
- 3: the same schedule and stamps as the class, first reading at once
  -> test_generator_first_reading_is_immediate, test_generator_matches_the_iterator,
  test_generator_keeps_the_rate_with_a_slow_loop_body
- 3: each reading is yielded as soon as it is read, not collected first
  -> test_generator_yields_each_reading_as_it_is_read
- checks: no task left running, no coroutine un-awaited, the loop never blocked
  -> test_iterator_yields_count_readings
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from collections.abc import AsyncIterable
from typing import Any

import pytest

from katagrader import DeadlineExceeded, learner_module, within

sensor_module = learner_module("sensor")

INTERVAL = 1.0
LATENCY = 0.25  # a slow sensor: a schedule that sleeps `interval` after each read drifts


class ProbedSensor:
    """Answers 20.0, 20.5, 21.0... after `latency` s, and records when each read started."""

    def __init__(self, latency: float = LATENCY) -> None:
        self.latency = latency
        self.started: list[float] = []

    async def read(self) -> float:
        self.started.append(asyncio.get_running_loop().time())
        if self.latency:  # latency 0: answers at once, without even a loop step
            await asyncio.sleep(self.latency)
        return 20.0 + 0.5 * (len(self.started) - 1)


class Session:
    """What one `async for` over the learner's object saw, in seconds since the loop began."""

    def __init__(self) -> None:
        self.temps: list[float] = []
        self.stamps: list[float] = []  # Reading.at
        self.reads: list[float] = []  # when the sensor was asked (its read started)
        self.arrivals: list[float] = []  # when the loop body received the reading


async def session(
    readings: AsyncIterable[Any],
    sensor: ProbedSensor,
    what: str,
    *,
    seconds: float = 60,
    real_seconds: float = 3.0,
) -> Session:
    """Run `async for reading in readings`, noting when each reading reaches the body.
    `real_seconds`: how long it may take in real time (within()'s guard against busy
    loops on the fake clock); long sessions need more on a loaded machine."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    seen = Session()
    first_read = len(sensor.started)

    async def loop_body() -> None:
        async for reading in readings:
            seen.arrivals.append(round(loop.time() - started, 6))
            seen.temps.append(reading.celsius)
            seen.stamps.append(round(reading.at - started, 6))

    await within(
        seconds, loop_body(), what=f"async for reading in {what}", stall_seconds=real_seconds
    )
    seen.reads = [round(t - started, 6) for t in sensor.started[first_read:]]
    return seen


SCHEDULE = [0.0, 1.0, 2.0, 3.0]  # when the 4 reads of a 1 s schedule start
ARRIVALS = [t + LATENCY for t in SCHEDULE]  # when each reading can reach the loop body


def schedule_advice(reads: list[float], what: str) -> str:
    """What the read times say about the schedule (they identify the mistake)."""
    if reads and reads[0] > 0:
        return (
            f"The first read started at {reads[0]:g} s: the first reading is taken at once; "
            "wait before reading k >= 1 only."
        )
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(reads)]
    if gaps and all(g == pytest.approx(INTERVAL + LATENCY) for g in gaps):
        return (
            f"Each read started {INTERVAL + LATENCY:g} s after the previous one: sleeping "
            f"`interval` after each read adds the sensor's {LATENCY} s latency every time. "
            "Sleep until `start + k * interval` on the loop's clock instead."
        )
    return (
        f"Reading k must start at start + k * interval (start: the loop time of the first "
        f"__anext__); {what} started its reads {gaps} s apart."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_aiter_returns_the_iterator_itself() -> None:
    """PollIterator.__aiter__ is a plain method that returns the iterator itself."""
    it = sensor_module.PollIterator(ProbedSensor(), INTERVAL, 3)
    result = it.__aiter__()
    if inspect.iscoroutine(result):
        result.close()  # never awaited on purpose; closing it avoids a second warning
        pytest.fail(
            "PollIterator(...).__aiter__() returned a coroutine: it is declared `async def`. "
            "`async for` calls __aiter__ without awaiting it and needs an object with "
            "__anext__ at once ('async for' would raise TypeError). Declare it with a plain "
            "`def __aiter__(self): return self`; only __anext__ is a coroutine."
        )
    assert result is it, (
        f"PollIterator(...).__aiter__() returned {result!r}; expected the iterator itself."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_iterator_yields_count_readings() -> None:
    """`async for` over a PollIterator gives `count` readings, in the sensor's order."""
    sensor = ProbedSensor()
    seen = await session(sensor_module.PollIterator(sensor, INTERVAL, 4), sensor, "PollIterator")
    assert seen.temps == [20.0, 20.5, 21.0, 21.5], (
        f"`async for` over PollIterator(sensor, 1.0, 4) gave the temperatures {seen.temps}; "
        "expected [20.0, 20.5, 21.0, 21.5]: one read per reading, then StopAsyncIteration."
    )
    assert len(sensor.started) == 4, f"the sensor was read {len(sensor.started)} times; expected 4."
    # 257 readings: past the ints CPython caches, so a count compared with `is` shows. An
    # instant sensor keeps it to one loop step per reading; a loaded machine still gets
    # ample real time.
    many = ProbedSensor(latency=0.0)
    try:
        seen = await session(
            sensor_module.PollIterator(many, 0.01, 257),
            many,
            "PollIterator(count=257)",
            seconds=5,  # 2.57 s of readings; an iterator that never stops is cut at ~500
            real_seconds=15,
        )
        got = len(seen.temps)
    except DeadlineExceeded:
        got = len(many.started)
    assert got == 257, (
        f"`async for` over PollIterator(sensor, 0.01, 257) read the sensor {got} times"
        + (" and was still going" if got > 257 else "")
        + "; expected 257 readings, then StopAsyncIteration. (Compare counts with `>=` or "
        "`==`, never `is`: only small ints are shared objects.)"
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_iterator_first_reading_is_immediate() -> None:
    """The first reading is taken as soon as it is asked for, with no wait."""
    sensor = ProbedSensor()
    seen = await session(sensor_module.PollIterator(sensor, INTERVAL, 2), sensor, "PollIterator")
    assert seen.reads[:1] == [0.0], (
        f"the first read of PollIterator(sensor, 1.0, 2) started at {seen.reads[:1]} s after "
        "the loop started; expected [0.0]. Wait before reading k >= 1 only: sleeping before "
        "the first reading delays everything by one interval."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_iterator_keeps_a_fixed_rate() -> None:
    """Reading k is read at start + k * interval, whatever the sensor's latency."""
    sensor = ProbedSensor(latency=LATENCY)
    seen = await session(sensor_module.PollIterator(sensor, INTERVAL, 4), sensor, "PollIterator")
    assert seen.reads == pytest.approx(SCHEDULE), (
        f"with a sensor taking {LATENCY} s per read, PollIterator(sensor, 1.0, 4) started its "
        f"reads at {seen.reads} s; expected {SCHEDULE}. "
        + schedule_advice(seen.reads, "PollIterator")
    )


SLOW_INTERVAL = 2.0  # not 1: a schedule computed as k / interval or k ** interval shows
SLOW_SCHEDULE = [0.0, 2.0, 4.0, 6.0]


async def slow_body(readings: AsyncIterable[Any], sensor: ProbedSensor, what: str) -> list[float]:
    """Loop over `readings` spending 0.5 s on each one; the read start times."""
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def loop_body() -> None:
        async for _ in readings:
            await asyncio.sleep(0.5)  # the controller acts on the reading

    await within(60, loop_body(), what=f"async for reading in {what}, 0.5 s per reading")
    return [round(t - started, 6) for t in sensor.started]


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_iterator_keeps_the_rate_with_a_slow_loop_body() -> None:
    """The schedule holds when the loop body takes time too: reading k is due at
    start + k * interval, however long the caller took to ask for it."""
    sensor = ProbedSensor(latency=LATENCY)
    it = sensor_module.PollIterator(sensor, SLOW_INTERVAL, 4)
    reads = await slow_body(it, sensor, "PollIterator")
    assert reads == pytest.approx(SLOW_SCHEDULE), (
        f"with a {LATENCY} s sensor and a loop body taking 0.5 s, PollIterator(sensor, 2.0, 4) "
        f"started its reads at {reads} s; expected {SLOW_SCHEDULE}. Waiting `interval` minus the "
        "read's duration forgets the time the loop body took: compute each due time from the "
        "start, `start + k * interval`, and sleep until then."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_a_late_reading_is_taken_at_once() -> None:
    """The loop body takes 1.6 s after the first reading: reading 1 (due at 1 s) and reading
    2 (due at 2 s) are late and read at once; reading 3 is back on schedule at 3 s."""
    sensor = ProbedSensor(latency=LATENCY)
    it = sensor_module.PollIterator(sensor, INTERVAL, 4)
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def loop_body() -> None:
        first = True
        async for _ in it:
            if first:
                await asyncio.sleep(1.6)  # the controller is slow, once
                first = False

    await within(60, loop_body(), what="async for reading in PollIterator, 1.6 s after the first")
    reads = [round(t - started, 6) for t in sensor.started]
    expected = [0.0, 1.85, 2.1, 3.0]
    assert reads == pytest.approx(expected), (
        f"with the loop body taking 1.6 s after the first reading, PollIterator(sensor, 1.0, "
        f"4) started its reads at {reads} s; expected {expected}: a reading whose due time "
        "has passed is read at once, and the schedule is not shifted (reading 3 still at "
        "3 s). Waiting for the next free slot instead skips readings."
    )


class FlakySensor(ProbedSensor):
    """Fails its second read with OSError."""

    async def read(self) -> float:
        value = await super().read()
        if len(self.started) == 2:
            raise OSError("sensor bus error")
        return value


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_a_failed_read_is_not_counted() -> None:
    """The second read fails: __anext__ raises its error, and iterating on still gives the
    three readings asked for."""
    sensor = FlakySensor(latency=LATENCY)
    it = sensor_module.PollIterator(sensor, INTERVAL, 3)
    got: list[float] = []
    errors: list[BaseException] = []

    async def read_all() -> None:
        while True:
            try:
                reading = await it.__anext__()
            except StopAsyncIteration:
                return
            except OSError as exc:
                errors.append(exc)
                continue
            got.append(reading.celsius)

    await within(60, read_all(), what="PollIterator(flaky sensor, 1.0, 3), read to the end")
    assert len(errors) == 1 and len(got) == 3, (
        f"with the second read failing, __anext__ raised {len(errors)} error(s) and gave "
        f"{len(got)} reading(s) in all; expected the OSError once and then still 3 readings: "
        "count a reading only once its read succeeded."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_iterator_stamps_each_reading_when_its_read_started() -> None:
    """Each Reading.at is the loop time at which its read started."""
    sensor = ProbedSensor(latency=LATENCY)
    seen = await session(sensor_module.PollIterator(sensor, INTERVAL, 4), sensor, "PollIterator")
    assert seen.stamps == pytest.approx(seen.reads), (
        f"PollIterator(sensor, 1.0, 4) started its reads at {seen.reads} s and stamped the "
        f"readings at={seen.stamps} s; expected the same times. "
        + (
            f"Each stamp is {LATENCY} s (the read's latency) late: it was taken after "
            "`await sensor.read()` returned. Read `loop.time()` just before the read."
            if seen.stamps == pytest.approx([t + LATENCY for t in seen.reads])
            else "Stamp each Reading with `loop.time()` read just before `await sensor.read()`."
        )
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_iterator_hands_over_each_reading_as_it_is_read() -> None:
    """Each reading reaches the loop body as soon as it has been read, not later."""
    sensor = ProbedSensor(latency=LATENCY)
    seen = await session(sensor_module.PollIterator(sensor, INTERVAL, 4), sensor, "PollIterator")
    assert seen.arrivals == pytest.approx([t + LATENCY for t in seen.reads]), (
        f"PollIterator(sensor, 1.0, 4) read at {seen.reads} s, and the loop body received "
        f"the readings at {seen.arrivals} s; expected each as soon as its read returned "
        f"({LATENCY} s after it started). The controller acts on each reading as it arrives: "
        "__anext__ takes one reading and returns it, never reading ahead."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_schedule_starts_at_the_first_reading() -> None:
    """The schedule starts when the first reading is asked for, not when the iterator is made."""
    sensor = ProbedSensor(latency=LATENCY)
    it = sensor_module.PollIterator(sensor, INTERVAL, 3)
    await asyncio.sleep(2.5)  # made now, looped over later
    seen = await session(it, sensor, "PollIterator made 2.5 s earlier")
    assert seen.reads == pytest.approx(SCHEDULE[:3]), (
        f"a PollIterator(sensor, 1.0, 3) made 2.5 s before its `async for` started its reads "
        f"at {seen.reads} s after the loop began; expected {SCHEDULE[:3]}. `start` is the loop "
        "time of the first __anext__ (set it there, when it is still None), not of __init__: "
        "a schedule that started at construction finds its first readings overdue."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_exhausted_iterator_raises_stop_async_iteration() -> None:
    """After `count` readings, every __anext__ raises StopAsyncIteration."""
    it = sensor_module.PollIterator(ProbedSensor(), INTERVAL, 2)
    for _ in range(2):
        await within(10, it.__anext__(), what="PollIterator(count=2).__anext__()")
    for attempt in ("third", "fourth"):
        try:
            reading = await within(10, it.__anext__(), what="PollIterator.__anext__()")
        except StopAsyncIteration:
            continue
        except RuntimeError as exc:
            if isinstance(exc.__cause__, StopIteration):
                pytest.fail(
                    f"the {attempt} __anext__() of PollIterator(count=2) raised RuntimeError "
                    f"({exc}): it raised StopIteration. Inside a coroutine, StopIteration is "
                    "turned into a RuntimeError (PEP 479); an async iterator ends with "
                    "`raise StopAsyncIteration`."
                )
            raise
        pytest.fail(
            f"the {attempt} __anext__() of PollIterator(count=2) returned {reading!r}; "
            "expected StopAsyncIteration, and again on every later call."
        )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_zero_readings_read_nothing() -> None:
    """A PollIterator of count 0 ends at once without reading the sensor."""
    sensor = ProbedSensor()
    seen = await session(sensor_module.PollIterator(sensor, INTERVAL, 0), sensor, "PollIterator")
    assert seen.temps == [] and sensor.started == [], (
        f"PollIterator(sensor, 1.0, 0) gave {seen.temps} and read the sensor "
        f"{len(sensor.started)} times; expected no reading at all."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_sensor_poll_is_reiterable() -> None:
    """Each `async for` over a SensorPoll is a new session with its own schedule."""
    sensor = ProbedSensor()
    plan = sensor_module.SensorPoll(sensor, INTERVAL, 3)
    first = await session(plan, sensor, "SensorPoll(count=3), first loop")
    await asyncio.sleep(0.4)
    second = await session(plan, sensor, "the same SensorPoll, second loop")
    assert len(first.temps) == 3 and len(second.temps) == 3, (
        f"two `async for` loops over the same SensorPoll(sensor, 1.0, 3) gave "
        f"{len(first.temps)} and {len(second.temps)} readings; expected 3 each. A SensorPoll "
        "is a plan, like a list: __aiter__ returns a new PollIterator each time, so the count "
        "starts over."
    )
    assert second.reads == pytest.approx([0.0, 1.0, 2.0]), (
        f"the second loop over the SensorPoll read at {second.reads} s after it started; "
        "expected [0, 1, 2]: a new session starts its schedule when its first reading is "
        "asked for."
    )
    assert aiter(plan) is not aiter(plan), (
        "aiter(plan) returned the same object twice; expected a new PollIterator each time."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_generator_yields_count_readings() -> None:
    """`async for` over poll(...) gives `count` readings, in the sensor's order; 0 reads nothing."""
    sensor = ProbedSensor()
    seen = await session(sensor_module.poll(sensor, INTERVAL, 4), sensor, "poll(sensor, 1.0, 4)")
    assert seen.temps == [20.0, 20.5, 21.0, 21.5], (
        f"`async for` over poll(sensor, 1.0, 4) gave {seen.temps}; expected "
        "[20.0, 20.5, 21.0, 21.5]."
    )
    idle = ProbedSensor()
    none = await session(sensor_module.poll(idle, INTERVAL, 0), idle, "poll(sensor, 1.0, 0)")
    assert none.temps == [] and idle.started == [], (
        f"poll(sensor, 1.0, 0) gave {none.temps} and read the sensor {len(idle.started)} "
        "times; expected no reading at all."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_generator_first_reading_is_immediate() -> None:
    """The generator takes its first reading at once, with no wait."""
    sensor = ProbedSensor()
    seen = await session(sensor_module.poll(sensor, INTERVAL, 2), sensor, "poll(sensor, 1.0, 2)")
    assert seen.reads[:1] == [0.0], (
        f"the first read of poll(sensor, 1.0, 2) started at {seen.reads[:1]} s; expected "
        "[0.0]. Sleep before readings 1, 2, ... only, not before the first."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_generator_matches_the_iterator() -> None:
    """poll(...) reads at the same times as PollIterator, stamps and hands over each reading
    the same way."""
    a, b = ProbedSensor(), ProbedSensor()
    # The generator first, while the loop's clock still reads 0.
    from_generator = await session(sensor_module.poll(b, INTERVAL, 4), b, "poll(sensor, 1.0, 4)")
    from_class = await session(sensor_module.PollIterator(a, INTERVAL, 4), a, "PollIterator")
    assert from_generator.reads == pytest.approx(SCHEDULE), (
        f"poll(sensor, 1.0, 4) with a {LATENCY} s sensor started its reads at "
        f"{from_generator.reads} s; expected {SCHEDULE}. "
        + schedule_advice(from_generator.reads, "poll(...)")
    )
    assert from_generator.stamps == pytest.approx(from_generator.reads), (
        f"poll(sensor, 1.0, 4) read at {from_generator.reads} s and stamped the readings "
        f"at={from_generator.stamps} s; expected the same times: stamp `loop.time()` just "
        "before `await sensor.read()`."
    )
    assert from_generator.temps == from_class.temps, (
        f"poll(...) gave {from_generator.temps}, PollIterator gave {from_class.temps}."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_generator_keeps_the_rate_with_a_slow_loop_body() -> None:
    """The generator's schedule holds when the loop body takes time too."""
    sensor = ProbedSensor(latency=LATENCY)
    reads = await slow_body(
        sensor_module.poll(sensor, SLOW_INTERVAL, 4), sensor, "poll(sensor, 2.0, 4)"
    )
    assert reads == pytest.approx(SLOW_SCHEDULE), (
        f"with a {LATENCY} s sensor and a loop body taking 0.5 s, poll(sensor, 2.0, 4) "
        f"started its reads at {reads} s; expected {SLOW_SCHEDULE}. The body runs while the "
        "generator is paused at `yield`: sleep until `start + k * interval`, not for a "
        "duration measured before the yield."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_generator_yields_each_reading_as_it_is_read() -> None:
    """Each reading reaches the loop body as soon as it has been read: the generator does not
    collect the readings first."""
    sensor = ProbedSensor(latency=LATENCY)
    seen = await session(sensor_module.poll(sensor, INTERVAL, 4), sensor, "poll(sensor, 1.0, 4)")
    assert seen.arrivals == pytest.approx([t + LATENCY for t in seen.reads]), (
        f"poll(sensor, 1.0, 4) read at {seen.reads} s, and the loop body received the "
        f"readings at {seen.arrivals} s; expected each as soon as its read returned. "
        "`yield` each reading as soon as you have it: a generator that collects them all "
        "and then yields makes the controller wait for the whole session."
    )
