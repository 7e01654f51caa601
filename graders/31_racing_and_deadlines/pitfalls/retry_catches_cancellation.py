"""`except (TimeoutError, ConnectionError, asyncio.CancelledError)`: the caller's cancellation
is retried like a timeout, so an enclosing timeout can never stop it."""

REJECTED_BY = {"test_enclosing_timeout_is_not_retried": "wrong_answer"}


async def retry(op, *, attempts, per_attempt, backoff):
    for attempt in range(1, attempts + 1):
        try:
            async with asyncio.timeout(per_attempt):
                return await op()
        except (TimeoutError, ConnectionError, asyncio.CancelledError):
            if attempt == attempts:
                raise
        await asyncio.sleep(backoff)
