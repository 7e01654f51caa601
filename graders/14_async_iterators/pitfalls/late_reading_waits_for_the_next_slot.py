"""When a read overran its slot, waits a whole interval more instead of reading at once."""

REJECTED_BY = {"test_a_late_reading_is_taken_at_once": "wrong_answer"}


async def _anext(self):
    if self._taken >= self.count:
        raise StopAsyncIteration
    loop = asyncio.get_running_loop()
    if self._start is None:
        self._start = loop.time()
    due = self._start + self._taken * self.interval
    while due < loop.time():
        due += self.interval
    await asyncio.sleep(due - loop.time())
    at = loop.time()
    celsius = await self.sensor.read()
    self._taken += 1
    return Reading(at, celsius)


PollIterator.__anext__ = _anext
