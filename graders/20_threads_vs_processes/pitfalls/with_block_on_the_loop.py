"""`with ProcessPoolExecutor(...) as pool:` inside the coroutine: the exit blocks the loop.

The `with` block's exit calls `pool.shutdown(wait=True)` on the event loop's own thread: it
waits for the running crunches and for the worker processes to end, and nothing else on the
loop runs meanwhile (on a timeout, that is as long as the crunches still running).
"""

REJECTED_BY = {
    "test_process_pool_is_shut_down_off_the_loop": "wrong_answer",
    "test_cancelled_crunch_all_shuts_the_pool_down": "wrong_answer",
}


async def crunch_all(paths: list[str], workers: int) -> list[LogStats]:
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = [loop.run_in_executor(pool, crunch, path) for path in paths]
        return list(await asyncio.gather(*jobs))
