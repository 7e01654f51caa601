"""When both attempts fail, the error of whichever failed last is raised."""

REJECTED_BY = {"test_both_failing_raise_the_first_error": "wrong_answer"}


async def hedged(fetch, delay):
    first = asyncio.ensure_future(fetch())
    attempts = [first]
    try:
        done, _ = await asyncio.wait(attempts, timeout=delay)
        if first in done:
            return first.result()
        attempts.append(asyncio.ensure_future(fetch()))
        pending = set(attempts)
        last = None
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() is None:
                    return task.result()
                last = task
        return last.result()
    finally:
        for t in attempts:
            t.cancel()
        await asyncio.gather(*attempts, return_exceptions=True)
