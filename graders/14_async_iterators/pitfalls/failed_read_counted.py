"""Counts the reading before the read: a cancelled or failed read still uses up a reading."""

REJECTED_BY = {"test_a_failed_read_is_not_counted": "wrong_answer"}


async def _anext(self):
    if self._taken >= self.count:
        raise StopAsyncIteration
    loop = asyncio.get_running_loop()
    if self._start is None:
        self._start = loop.time()
    due = self._start + self._taken * self.interval
    self._taken += 1
    if due > loop.time():
        await asyncio.sleep(due - loop.time())
    at = loop.time()
    return Reading(at, await self.sensor.read())


PollIterator.__anext__ = _anext
