"""A retry loop with a bare `except:`: it retries declined cards and cancellations alike.

A bare `except:` (like `except BaseException:`) also catches `asyncio.CancelledError`, so a
cancelled retry just sleeps and calls the operation again.
"""

REJECTED_BY = {
    "test_cancellation_is_not_retried": "wrong_answer",
    "test_permanent_errors_are_not_retried": "wrong_answer",
}


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
        except:  # noqa: E722  "whatever went wrong, try again"
            if attempt == attempts - 1:
                raise
        await asyncio.sleep(base_delay * 2**attempt)
    raise ValueError("no attempts")
