"""Readings handed over as `queue.put()` coroutines, the end marker with call_soon_threadsafe.

`run_coroutine_threadsafe` starts a task on the loop, and the task puts the reading a loop
step later; the end marker, handed over right after the last reading, is put first. A
sensor that ends at once after its last reading loses the readings still in flight.
"""

REJECTED_BY = {"test_a_burst_of_readings_arrives_whole_before_the_end": "wrong_answer"}


def _on_reading(self: SensorStream, reading: Reading) -> None:
    assert self._loop is not None
    asyncio.run_coroutine_threadsafe(self._readings.put(reading), self._loop)


SensorStream._on_reading = _on_reading
