"""Calling the driver's blocking `stop()` from the coroutine: the loop waits for the park.

`stop()` joins the sensor's thread, which first parks the probe; done on the event loop's
thread, that wait freezes every other coroutine.
"""

REJECTED_BY = {"test_closing_does_not_block_the_loop": "leak"}


async def _aclose(self: SensorStream) -> None:
    self._sensor.stop()


SensorStream.aclose = _aclose
