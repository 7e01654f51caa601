"""Sleeping `interval` minus how long the read took, instead of until the due time.

It keeps the rate while the loop body is instant, but the time the body spends on each
reading is never counted: a controller that takes 0.5 s per reading gets them 1.5 s apart.
"""

REJECTED_BY = {"test_iterator_keeps_the_rate_with_a_slow_loop_body": "wrong_answer"}


class PollIterator(PollIterator):
    async def __anext__(self) -> Reading:
        if self._taken >= self.count:
            raise StopAsyncIteration
        loop = asyncio.get_running_loop()
        if self._taken > 0:
            await asyncio.sleep(max(0.0, self.interval - self._last_read_took))
        at = loop.time()
        celsius = await self.sensor.read()
        self._last_read_took = loop.time() - at
        self._taken += 1
        return Reading(at, celsius)
