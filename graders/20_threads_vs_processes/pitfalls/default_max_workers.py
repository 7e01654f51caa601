"""A process pool of the default size: one process per CPU, not `workers`.

`ProcessPoolExecutor()` starts as many processes as the machine has CPUs; the caller's
`workers` is ignored.
"""

REJECTED_BY = {"test_crunch_uses_one_pool_of_workers_processes": "wrong_answer"}


async def crunch_all(paths: list[str], workers: int) -> list[LogStats]:
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor()
    finished = False
    try:
        results = list(
            await asyncio.gather(*(loop.run_in_executor(pool, crunch, p) for p in paths))
        )
        finished = True
        return results
    finally:
        await _shut_down(pool, cancel_futures=not finished)
