"""Starting both attempts at once: every request costs two."""

REJECTED_BY = {"test_fast_attempt_is_not_hedged": "wrong_answer"}


async def hedged(fetch, delay):
    attempts = [asyncio.ensure_future(fetch()), asyncio.ensure_future(fetch())]
    try:
        pending = set(attempts)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in attempts:
                if task in done and task.exception() is None:
                    return task.result()
        return attempts[0].result()
    finally:
        for t in attempts:
            t.cancel()
        await asyncio.gather(*attempts, return_exceptions=True)
