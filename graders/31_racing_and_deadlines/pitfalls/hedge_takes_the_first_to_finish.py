"""After the hedge starts, whichever attempt finishes first decides, even with an error."""

REJECTED_BY = {"test_first_attempt_failing_after_the_delay_lets_the_hedge_win": "wrong_answer"}


async def hedged(fetch, delay):
    first = asyncio.ensure_future(fetch())
    attempts = [first]
    try:
        done, _ = await asyncio.wait(attempts, timeout=delay)
        if first in done:
            return first.result()
        attempts.append(asyncio.ensure_future(fetch()))
        done, _ = await asyncio.wait(attempts, return_when=asyncio.FIRST_COMPLETED)
        return next(t for t in attempts if t in done).result()
    finally:
        for t in attempts:
            t.cancel()
        await asyncio.gather(*attempts, return_exceptions=True)
