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
        # TODO: return the object `async for` will call __anext__ on.
        raise NotImplementedError("PollIterator.__aiter__: return the iterator (step 1)")

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
        # TODO: end after `count` readings; otherwise wait until reading number
        # `self._taken` is due (`self._start` + k * interval, the first one at once), read
        # the sensor and return a Reading stamped with the loop time the read started.
        raise NotImplementedError("PollIterator.__anext__: return the next reading (step 1)")


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
        # TODO: give every `async for` its own polling session.
        raise NotImplementedError("SensorPoll.__aiter__: start a new session (step 2)")


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
    # TODO: the same schedule as PollIterator, with `yield` instead of `return`.
    raise NotImplementedError("poll: yield the readings as an async generator (step 3)")
    yield  # unreachable, but makes this function an async generator, as yours will be


async def main() -> None:
    sensor = FakeSensor(latency=0.2)
    started = asyncio.get_running_loop().time()
    async for reading in SensorPoll(sensor, interval=1.0, count=3):
        print(f"class     t={reading.at - started:.2f} s  {reading.celsius} °C")
    async for reading in poll(sensor, interval=1.0, count=3):
        print(f"generator t={reading.at - started:.2f} s  {reading.celsius} °C")


if __name__ == "__main__":
    asyncio.run(main())
