"""Putting readings in the asyncio.Queue straight from the sensor's thread.

`Queue.put_nowait` wakes a waiting consumer by scheduling a callback on the loop, which is
only allowed from the loop's thread: in debug mode it raises, otherwise the loop, asleep
in select(), may not wake up until something else happens.
"""

REJECTED_BY = {"test_every_reading_arrives_once_in_order": "wrong_answer"}


def _on_reading(self: SensorStream, reading: Reading) -> None:
    self._readings.put_nowait(reading)


def _on_end(self: SensorStream) -> None:
    self._readings.put_nowait(None)


SensorStream._on_reading = _on_reading
SensorStream._on_end = _on_end
