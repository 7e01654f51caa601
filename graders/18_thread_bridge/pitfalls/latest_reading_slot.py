"""Keeping the latest reading in an attribute and handing the loop a callback that reads it.

The callback reads `self._latest` when the loop runs it, not when the sensor called back:
readings that come faster than the loop wakes up are lost, and the newest one is put
several times.
"""

REJECTED_BY = {"test_a_burst_of_readings_arrives_whole_before_the_end": "wrong_answer"}


def _on_reading(self: SensorStream, reading: Reading) -> None:
    assert self._loop is not None
    self._latest = reading
    self._loop.call_soon_threadsafe(lambda: self._readings.put_nowait(self._latest))


SensorStream._on_reading = _on_reading
