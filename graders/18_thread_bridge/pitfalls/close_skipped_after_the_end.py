"""Skipping the stop in aclose once the stream has ended by itself: "the sensor is done".

The driver called on_end, but its thread may still be running (parking the probe head):
only stop() ends it and joins it.
"""

REJECTED_BY = {"test_closing_after_the_end_stops_and_joins_the_sensor": "wrong_answer"}


async def _anext(self: SensorStream) -> Reading:
    reading = await self._readings.get()
    if reading is None:
        self._ended = True
        raise StopAsyncIteration
    return reading


async def _aclose(self: SensorStream) -> None:
    if getattr(self, "_ended", False):
        return  # the readings are over: nothing left to stop
    await asyncio.to_thread(self._sensor.stop)


SensorStream.__anext__ = _anext
SensorStream.aclose = _aclose
