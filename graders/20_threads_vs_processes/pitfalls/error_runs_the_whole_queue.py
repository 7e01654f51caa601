"""Shutting down off the loop, but never with cancel_futures: a failed call still crunches
every queued file before it raises.

`shutdown(wait=True)` waits for every job submitted, started or not; after the first error
nobody wants their results.
"""

REJECTED_BY = {"test_crunch_error_cancels_the_queued_crunches": "wrong_answer"}


async def crunch_all(paths: list[str], workers: int) -> list[LogStats]:
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        return list(await asyncio.gather(*(loop.run_in_executor(pool, crunch, p) for p in paths)))
    finally:
        await asyncio.to_thread(pool.shutdown, wait=True)
