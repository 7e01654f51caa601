"""The losing attempt is cancelled on the way out of a success only: a cancelled caller
leaves both attempts running."""

REJECTED_BY = {"test_cancelling_hedged_stops_both_attempts": "wrong_answer"}


async def hedged(fetch, delay):
    first = asyncio.ensure_future(fetch())
    attempts = [first]
    done, _ = await asyncio.wait(attempts, timeout=delay)
    if first in done:
        return first.result()
    attempts.append(asyncio.ensure_future(fetch()))
    pending = set(attempts)
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in attempts:
            if task in done and task.exception() is None:
                for other in attempts:
                    other.cancel()
                await asyncio.gather(*attempts, return_exceptions=True)
                return task.result()
    return first.result()
