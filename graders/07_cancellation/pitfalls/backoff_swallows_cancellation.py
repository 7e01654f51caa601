"""A backoff pause that swallows its cancellation ("cut the wait short and try now").

The cancellation is caught during `asyncio.sleep` and the loop goes on: whoever cancelled
the retry (a timeout, a shutdown) is ignored, and the operation is called again.
"""

REJECTED_BY = {"test_cancellation_during_the_backoff_is_not_retried": "wrong_answer"}


async def retry(
    operation: Callable[[], Awaitable[T]],
    *,
    attempts: int = 4,
    base_delay: float = 0.1,
    retry_on: tuple[type[Exception], ...] = (TransientError,),
) -> T:
    for attempt in range(attempts):
        try:
            return await operation()
        except retry_on:
            if attempt == attempts - 1:
                raise
        try:
            await asyncio.sleep(base_delay * 2**attempt)
        except asyncio.CancelledError:
            pass  # skip the rest of the pause and try again now
    raise ValueError("attempts")
