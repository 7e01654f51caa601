"""Declaring `__aiter__` with `async def`, "since everything here is async".

`async for` calls `__aiter__()` without awaiting it: it receives a coroutine, which has
no `__anext__`, and fails with TypeError (leaving the coroutine never awaited).
"""

REJECTED_BY = {"test_aiter_returns_the_iterator_itself": "wrong_answer"}


class PollIterator(PollIterator):
    async def __aiter__(self) -> PollIterator:
        return self
