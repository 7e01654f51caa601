"""Grades exercises/14_async_iterators/sensor.py: an async iterator class and an async
generator that poll a sensor on a fixed schedule. Every test runs on looptime's fake
clock, so the reading times are exact."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterable
from typing import Any

import pytest

from katagrader import learner_module, within

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
        await asyncio.sleep(self.latency)
        return 20.0 + 0.5 * (len(self.started) - 1)


async def collect(readings: AsyncIterable[Any]) -> list[Any]:
    return [reading async for reading in readings]


async def timed(readings: AsyncIterable[Any], what: str) -> tuple[list[float], list[float]]:
    """(temperatures, reading times relative to the start of the loop)."""
    started = asyncio.get_running_loop().time()
    got = await within(60, collect(readings), what=f"async for reading in {what}")
    return [r.celsius for r in got], [round(r.at - started, 6) for r in got]


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
    temps, _ = await timed(sensor_module.PollIterator(sensor, INTERVAL, 4), "PollIterator(count=4)")
    assert temps == [20.0, 20.5, 21.0, 21.5], (
        f"`async for` over PollIterator(sensor, 1.0, 4) gave the temperatures {temps}; "
        "expected [20.0, 20.5, 21.0, 21.5]: one read per reading, then StopAsyncIteration."
    )
    assert len(sensor.started) == 4, f"the sensor was read {len(sensor.started)} times; expected 4."


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_iterator_first_reading_is_immediate() -> None:
    """The first reading is taken as soon as it is asked for, with no wait."""
    sensor = ProbedSensor()
    _, times = await timed(sensor_module.PollIterator(sensor, INTERVAL, 2), "PollIterator(count=2)")
    assert times[:1] == [0.0], (
        f"the first reading of PollIterator(sensor, 1.0, 2) was taken at {times[:1]} s after "
        "the loop started; expected [0.0]. Wait before reading k >= 1 only: sleeping before "
        "the first reading delays everything by one interval."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_iterator_keeps_a_fixed_rate() -> None:
    """Reading k is taken at start + k * interval, whatever the sensor's latency."""
    sensor = ProbedSensor(latency=LATENCY)
    _, times = await timed(sensor_module.PollIterator(sensor, INTERVAL, 4), "PollIterator(count=4)")
    assert times == pytest.approx([0.0, 1.0, 2.0, 3.0]), (
        f"with a sensor taking {LATENCY} s per read, PollIterator(sensor, 1.0, 4) read at "
        f"{times} s; expected [0, 1, 2, 3]. Sleeping `interval` after each read adds the "
        "latency every time; sleep until `start + k * interval` on the loop's clock instead."
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
    temps, _ = await timed(sensor_module.PollIterator(sensor, INTERVAL, 0), "PollIterator(count=0)")
    assert temps == [] and sensor.started == [], (
        f"PollIterator(sensor, 1.0, 0) gave {temps} and read the sensor "
        f"{len(sensor.started)} times; expected no reading at all."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_sensor_poll_is_reiterable() -> None:
    """Each `async for` over a SensorPoll is a new session with its own schedule."""
    sensor = ProbedSensor()
    plan = sensor_module.SensorPoll(sensor, INTERVAL, 3)
    first_temps, _ = await timed(plan, "SensorPoll(count=3), first loop")
    await asyncio.sleep(0.4)
    second_temps, second_times = await timed(plan, "the same SensorPoll, second loop")
    assert len(first_temps) == 3 and len(second_temps) == 3, (
        f"two `async for` loops over the same SensorPoll(sensor, 1.0, 3) gave {len(first_temps)} "
        f"and {len(second_temps)} readings; expected 3 each. A SensorPoll is a plan, like a "
        "list: __aiter__ returns a new PollIterator each time, so the count starts over."
    )
    assert second_times == pytest.approx([0.0, 1.0, 2.0]), (
        f"the second loop over the SensorPoll read at {second_times} s after it started; "
        "expected [0, 1, 2]: a new session starts its schedule when its first reading is "
        "asked for."
    )
    assert aiter(plan) is not aiter(plan), (
        "aiter(plan) returned the same object twice; expected a new PollIterator each time."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_generator_yields_count_readings() -> None:
    """`async for` over poll(...) gives `count` readings, in the sensor's order."""
    sensor = ProbedSensor()
    temps, _ = await timed(sensor_module.poll(sensor, INTERVAL, 4), "poll(sensor, 1.0, 4)")
    assert temps == [20.0, 20.5, 21.0, 21.5], (
        f"`async for` over poll(sensor, 1.0, 4) gave {temps}; expected [20.0, 20.5, 21.0, 21.5]."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_generator_first_reading_is_immediate() -> None:
    """The generator takes its first reading at once, with no wait."""
    _, times = await timed(sensor_module.poll(ProbedSensor(), INTERVAL, 2), "poll(sensor, 1.0, 2)")
    assert times[:1] == [0.0], (
        f"the first reading of poll(sensor, 1.0, 2) was taken at {times[:1]} s; expected "
        "[0.0]. Sleep before readings 1, 2, ... only, not before the first."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_generator_matches_the_iterator() -> None:
    """poll(...) gives the same readings at the same times as PollIterator."""
    from_class = await timed(
        sensor_module.PollIterator(ProbedSensor(), INTERVAL, 4), "PollIterator(count=4)"
    )
    from_generator = await timed(sensor_module.poll(ProbedSensor(), INTERVAL, 4), "poll(count=4)")
    assert from_generator[1] == pytest.approx([0.0, 1.0, 2.0, 3.0]), (
        f"poll(sensor, 1.0, 4) with a {LATENCY} s sensor read at {from_generator[1]} s; "
        "expected [0, 1, 2, 3], a fixed rate that the sensor's latency does not push back."
    )
    assert from_generator == from_class, (
        f"poll(...) gave (temperatures, times) {from_generator}, PollIterator gave "
        f"{from_class}; the generator must do the same job on the same schedule."
    )
