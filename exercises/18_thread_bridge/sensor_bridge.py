"""Bridge a thread-based sensor driver and asyncio, in both directions.

The vendor's `ThermoSensor` driver reads a temperature probe on its own thread and calls
you back *from that thread*. asyncio objects (the loop, queues, futures, events) are not
thread-safe: only the loop's own thread may touch them.

1. `SensorStream`: expose the readings as an async iterator. The driver's callbacks hand
   each reading to the loop with `loop.call_soon_threadsafe`; the stream yields them in
   order and ends when the sensor does.
2. `SensorStream.aclose`: stop the sensor and wait for its thread to end, without blocking
   the event loop (stopping waits for the device to park).
3. `overheat_handler`: the driver asks a synchronous `on_overheat(reading) -> bool`
   callback, from its thread, whether to cut the heater; the answer comes from an async
   `decide(reading)` that must run on the event loop (`asyncio.run_coroutine_threadsafe`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol


@dataclass(frozen=True)
class Reading:
    """One measurement: its sequence number and the temperature."""

    seq: int
    celsius: float


class Sensor(Protocol):
    """A driver that calls back from its own thread."""

    def start(self, on_reading: Callable[[Reading], None], on_end: Callable[[], None]) -> None:
        """Start the driver's thread; it calls `on_reading` per reading, `on_end` at the end."""

    def stop(self) -> None:
        """Stop the driver and join its thread (blocks until the device has parked)."""


class ThermoSensor:
    """The vendor's driver: reads the probe every `interval` seconds on its own thread.

    `on_reading` and `on_end` are called on the driver's thread, never on yours. When a
    reading is above `max_celsius` and `on_overheat` is set, the driver calls
    `on_overheat(reading)` (on its thread too) and cuts the heater if it returns True.
    """

    def __init__(
        self,
        temperatures: Sequence[float],
        interval: float = 0.05,
        park_time: float = 0.5,
        max_celsius: float = 90.0,
        on_overheat: Callable[[Reading], bool] | None = None,
    ) -> None:
        self.temperatures = temperatures
        self.interval = interval
        self.park_time = park_time
        self.max_celsius = max_celsius
        self.on_overheat = on_overheat
        self.heater_on = True
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, on_reading: Callable[[Reading], None], on_end: Callable[[], None]) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(on_reading, on_end), name="thermo-sensor"
        )
        self._thread.start()

    def _run(self, on_reading: Callable[[Reading], None], on_end: Callable[[], None]) -> None:
        for seq, celsius in enumerate(self.temperatures):
            if self._stopping.wait(self.interval):
                break
            reading = Reading(seq, celsius)
            on_reading(reading)
            if celsius > self.max_celsius and self.on_overheat and self.on_overheat(reading):
                self.heater_on = False
        else:
            on_end()
            return
        time.sleep(self.park_time)  # parking the probe head before the thread ends

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()


class SensorStream:
    """The sensor's readings as an async iterator.

    Example:
        >>> async def demo() -> list[int]:
        ...     async with SensorStream(ThermoSensor([20.0, 21.5], interval=0)) as stream:
        ...         return [reading.seq async for reading in stream]
        >>> asyncio.run(demo())
        [0, 1]
    """

    def __init__(self, sensor: Sensor) -> None:
        self._sensor = sensor
        # Filled on the loop's thread only; `None` marks the end of the readings.
        self._readings: asyncio.Queue[Reading | None] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> SensorStream:
        """Start the sensor, with callbacks that hand the readings to the event loop."""
        # TODO: remember the running loop (the callbacks will need it), start the sensor with
        #   `self._on_reading` and `self._on_end` as its callbacks, return self.
        raise NotImplementedError("SensorStream.__aenter__: start the sensor (step 1)")

    def _on_reading(self, reading: Reading) -> None:
        """Called on the sensor's thread for each reading."""
        # TODO: hand `reading` to the event loop's thread, which puts it in self._readings.
        #   This runs on the sensor's thread: asyncio objects must not be touched from here.
        raise NotImplementedError("SensorStream._on_reading: pass the reading to the loop (step 1)")

    def _on_end(self) -> None:
        """Called on the sensor's thread when there are no more readings."""
        # TODO: tell the loop that the readings are over (after the last one).
        raise NotImplementedError("SensorStream._on_end: mark the end on the loop (step 1)")

    def __aiter__(self) -> SensorStream:
        return self

    async def __anext__(self) -> Reading:
        """The next reading, in the order the sensor produced them.

        Raises:
            StopAsyncIteration: the sensor has no more readings.
        """
        # TODO: wait for the next reading; at the end marker, raise StopAsyncIteration.
        raise NotImplementedError("SensorStream.__anext__: return the next reading (step 1)")

    async def aclose(self) -> None:
        """Stop the sensor and wait for its thread to end, without blocking the loop."""
        # TODO: stop the sensor and join its thread; stop() blocks, so not on the loop.
        raise NotImplementedError("SensorStream.aclose: stop the sensor off the loop (step 2)")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def overheat_handler(
    loop: asyncio.AbstractEventLoop,
    decide: Callable[[Reading], Coroutine[Any, Any, bool]],
    timeout: float = 5.0,
) -> Callable[[Reading], bool]:
    """Make a synchronous `on_overheat` callback that asks `decide` on the event loop.

    Args:
        loop: the running event loop, where `decide` must run.
        decide: async; whether to cut the heater for this reading.
        timeout: how long the driver's thread may wait for the decision.

    Returns:
        `on_overheat(reading) -> bool`, to be called on a thread other than the loop's: it
        runs `decide(reading)` on `loop`, waits for it and returns its answer.

    Raises:
        (from the returned callback) whatever `decide` raised; TimeoutError after `timeout`.

    Example:
        >>> async def decide(reading: Reading) -> bool:
        ...     return reading.celsius > 95
        >>> async def demo() -> bool:
        ...     handler = overheat_handler(asyncio.get_running_loop(), decide)
        ...     return await asyncio.to_thread(handler, Reading(0, 99.0))
        >>> asyncio.run(demo())
        True
    """

    # TODO: return a plain function that runs `decide(reading)` on `loop` (not in the
    #   calling thread) and waits, at most `timeout` seconds, for its answer.
    raise NotImplementedError("overheat_handler: run decide on the event loop (step 3)")


async def main() -> None:
    async def decide(reading: Reading) -> bool:
        await asyncio.sleep(0.01)  # ask the supervisor service
        return reading.celsius >= 95

    loop = asyncio.get_running_loop()
    sensor = ThermoSensor(
        [80.0, 88.5, 92.0, 96.5, 91.0], interval=0.1, on_overheat=overheat_handler(loop, decide)
    )
    async with SensorStream(sensor) as stream:
        async for reading in stream:
            print(f"#{reading.seq}: {reading.celsius:.1f} °C")
    print("heater on" if sensor.heater_on else "heater cut")


if __name__ == "__main__":
    asyncio.run(main())
