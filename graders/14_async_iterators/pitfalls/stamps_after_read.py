"""Stamping each Reading with the loop time after `await sensor.read()` has returned.

The schedule is right, but every stamp is late by the sensor's latency: the readings say
they were taken 0.25 s after they really were.
"""

REJECTED_BY = {"test_iterator_stamps_each_reading_when_its_read_started": "wrong_answer"}


class PollIterator(PollIterator):
    async def __anext__(self) -> Reading:
        if self._taken >= self.count:
            raise StopAsyncIteration
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        due = self._start + self._taken * self.interval
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        celsius = await self.sensor.read()
        self._taken += 1
        return Reading(loop.time(), celsius)
