"""Ending the async iterator with `raise StopIteration`, as a sync iterator would.

A StopIteration escaping a coroutine is turned into RuntimeError (PEP 479): `async for`
only stops on StopAsyncIteration.
"""

REJECTED_BY = {
    "test_exhausted_iterator_raises_stop_async_iteration": "wrong_answer",
    "test_iterator_yields_count_readings": "exception",
}


class PollIterator(PollIterator):
    async def __anext__(self) -> Reading:
        if self._taken >= self.count:
            raise StopIteration
        return await super().__anext__()
