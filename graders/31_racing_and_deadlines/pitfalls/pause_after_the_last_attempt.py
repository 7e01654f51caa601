"""Sleeping the backoff after every failure, the last one too, before raising."""

REJECTED_BY = {"test_last_error_is_raised_after_the_last_attempt": "wrong_answer"}


async def retry(op, *, attempts, per_attempt, backoff):
    error = None
    for _ in range(attempts):
        try:
            async with asyncio.timeout(per_attempt):
                return await op()
        except (TimeoutError, ConnectionError) as exc:
            error = exc
        await asyncio.sleep(backoff)
    raise error
