"""Poll a temperature sensor at a fixed rate, as an async iterator and as an async generator.

A greenhouse controller reads its temperature sensor every few seconds and acts on each
reading as it arrives: `async for reading in SensorPoll(sensor, interval=5, count=720)`.
Each reading is awaited (the sensor answers over the network), so this is an *async*
iterator: `__anext__` is a coroutine, and the end is `StopAsyncIteration`.

1. `PollIterator`: `__aiter__` returns the iterator itself; `__anext__` takes the first
   reading at once, reading k at `start + k * interval` on the loop's clock (a slow sensor
   does not push the schedule back), and raises `StopAsyncIteration` after `count`.
2. `SensorPoll.__aiter__`: a fresh `PollIterator` for every `async for`, so a `SensorPoll`
   can be looped over again (like a list), while each `PollIterator` is used once.
3. `poll`: the same job as an async generator function, readings at the same times.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Reading:
    """One reading: when it was taken (loop time, seconds) and the temperature."""

    at: float
    celsius: float


class Sensor(Protocol):
    """A networked sensor: each read takes a moment."""

    async def read(self) -> float: ...


class FakeSensor:
    """A sensor that answers after `latency` seconds with a slowly rising temperature."""

    def __init__(self, latency: float = 0.2, celsius: float = 21.0) -> None:
        self.latency = latency
        self.celsius = celsius

    async def read(self) -> float:
        await asyncio.sleep(self.latency)
        self.celsius = round(self.celsius + 0.1, 1)
        return self.celsius


class PollIterator:
    """One polling session: `count` readings, `interval` seconds apart, then it ends.

    Args:
        sensor: what to read.
        interval: seconds between the starts of two readings (> 0).
        count: how many readings (>= 0).
    """

    def __init__(self, sensor: Sensor, interval: float, count: int) -> None:
        if interval <= 0 or count < 0:
            raise ValueError(f"need interval > 0 and count >= 0, got {interval}, {count}")
        self.sensor = sensor
        self.interval = interval
        self.count = count
        self._taken = 0
        self._start: float | None = None

    def __aiter__(self) -> PollIterator:
        """Return the iterator itself, so `async for` can use it.

        Example:
            >>> it = PollIterator(FakeSensor(), 1.0, 3)
            >>> aiter(it) is it
            True
        """
        # A plain `def`: `async for` calls __aiter__ without awaiting it and needs an object
        # with __anext__ right away. `async def` would hand it a coroutine instead.
        return self

    async def __anext__(self) -> Reading:
        """Wait until the next reading is due, take it and return it.

        Returns:
            The next `Reading`; the first one at once.

        Raises:
            StopAsyncIteration: once `count` readings were returned (and every time after).

        Example:
            >>> async def demo() -> list[float]:
            ...     return [r.celsius async for r in PollIterator(FakeSensor(0), 1.0, 2)]
            >>> asyncio.run(demo())
            [21.1, 21.2]
        """
        if self._taken >= self.count:
            # StopAsyncIteration, not StopIteration: a StopIteration escaping a coroutine is
            # turned into a RuntimeError (PEP 479), and `async for` only stops on this one.
            raise StopAsyncIteration
        loop = asyncio.get_running_loop()
        if self._start is None:
            # The schedule starts when the first reading is asked for, not at construction.
            self._start = loop.time()
        # Reading k is due at start + k * interval: sleeping `interval` after each read
        # would drift by the sensor's latency every time. If we are late, read at once.
        due = self._start + self._taken * self.interval
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        at = loop.time()
        celsius = await self.sensor.read()
        # Counted only once the read succeeded: a cancelled read is not a reading.
        self._taken += 1
        return Reading(at, celsius)


class SensorPoll:
    """A polling plan that can be looped over again and again, like a list.

    Args:
        sensor: what to read.
        interval: seconds between the starts of two readings (> 0).
        count: how many readings per loop (>= 0).
    """

    def __init__(self, sensor: Sensor, interval: float, count: int) -> None:
        if interval <= 0 or count < 0:
            raise ValueError(f"need interval > 0 and count >= 0, got {interval}, {count}")
        self.sensor = sensor
        self.interval = interval
        self.count = count

    def __aiter__(self) -> PollIterator:
        """Start a new polling session for each `async for`.

        Example:
            >>> plan = SensorPoll(FakeSensor(), 1.0, 3)
            >>> aiter(plan) is not aiter(plan)
            True
        """
        # The state of a loop (how many taken, when it started) lives in the iterator, not
        # here: every `async for` gets its own, so the plan is re-iterable and two loops
        # over it do not steal each other's readings.
        return PollIterator(self.sensor, self.interval, self.count)


async def poll(sensor: Sensor, interval: float, count: int) -> AsyncIterator[Reading]:
    """Yield `count` readings, `interval` seconds apart, the first one at once.

    The same schedule as `PollIterator`, written as an async generator: Python builds
    `__aiter__`, `__anext__` and `StopAsyncIteration` for you. Like every generator object,
    the result is used once; call `poll(...)` again for another session.

    Args:
        sensor: what to read.
        interval: seconds between the starts of two readings (> 0).
        count: how many readings (>= 0).

    Yields:
        One `Reading` per due time.

    Example:
        >>> async def demo() -> list[float]:
        ...     return [r.celsius async for r in poll(FakeSensor(0), 1.0, 2)]
        >>> asyncio.run(demo())
        [21.1, 21.2]
    """
    loop = asyncio.get_running_loop()
    # The body only starts running at the first `__anext__`, so this is the same start
    # time as the class's: when the first reading is asked for.
    start = loop.time()
    for k in range(count):
        due = start + k * interval
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        at = loop.time()
        yield Reading(at, await sensor.read())


async def main() -> None:
    sensor = FakeSensor(latency=0.2)
    started = asyncio.get_running_loop().time()
    async for reading in SensorPoll(sensor, interval=1.0, count=3):
        print(f"class     t={reading.at - started:.2f} s  {reading.celsius} °C")
    async for reading in poll(sensor, interval=1.0, count=3):
        print(f"generator t={reading.at - started:.2f} s  {reading.celsius} °C")


if __name__ == "__main__":
    asyncio.run(main())
