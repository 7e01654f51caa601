"""Waiting for the delay with `asyncio.wait_for`: it cancels the first attempt at the delay,
so the hedge is a restart, not a second chance."""

REJECTED_BY = {"test_first_attempt_can_still_win": "wrong_answer"}


async def hedged(fetch, delay):
    first = asyncio.ensure_future(fetch())
    try:
        return await asyncio.wait_for(first, delay)
    except TimeoutError:
        return await fetch()
