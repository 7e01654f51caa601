"""`except Exception:` in the retry loop: a bug (ValueError) is retried like a timeout."""

REJECTED_BY = {"test_other_errors_are_not_retried": "wrong_answer"}


async def retry(op, *, attempts, per_attempt, backoff):
    for attempt in range(1, attempts + 1):
        try:
            async with asyncio.timeout(per_attempt):
                return await op()
        except Exception:
            if attempt == attempts:
                raise
        await asyncio.sleep(backoff)
