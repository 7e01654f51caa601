"""Catching TransientError by name instead of the `retry_on` types the caller passed.

Right with the defaults, wrong for any caller that names its own transient errors.
"""

REJECTED_BY = {"test_only_the_retry_on_errors_are_retried": "wrong_answer"}


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
        except TransientError:  # ignores the retry_on the caller passed
            if attempt == attempts - 1:
                raise
        await asyncio.sleep(base_delay * 2**attempt)
    raise ValueError("attempts")
