"""A new process pool for every path: each starts processes of its own.

Four paths with workers=2 run in four processes: `workers` no longer limits anything, and
every pool pays the start-up cost again.
"""

REJECTED_BY = {"test_crunch_uses_one_pool_of_workers_processes": "wrong_answer"}


async def _crunch_one(path: str, workers: int) -> LogStats:
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        return await loop.run_in_executor(pool, crunch, path)
    finally:
        await asyncio.to_thread(pool.shutdown, wait=True)


async def crunch_all(paths: list[str], workers: int) -> list[LogStats]:
    return list(await asyncio.gather(*(_crunch_one(path, workers) for path in paths)))
