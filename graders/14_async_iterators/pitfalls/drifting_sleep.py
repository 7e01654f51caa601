"""Sleeping `interval` after each reading: the schedule drifts by the sensor's latency.

With a sensor answering in 0.25 s and a 1 s interval, the readings land at 0, 1.25, 2.5...
instead of 0, 1, 2: each reading is late by the sum of all the previous latencies.
"""

REJECTED_BY = {"test_iterator_keeps_a_fixed_rate": "wrong_answer"}


class PollIterator(PollIterator):
    async def __anext__(self) -> Reading:
        if self._taken >= self.count:
            raise StopAsyncIteration
        if self._taken > 0:
            await asyncio.sleep(self.interval)
        at = asyncio.get_running_loop().time()
        celsius = await self.sensor.read()
        self._taken += 1
        return Reading(at, celsius)
