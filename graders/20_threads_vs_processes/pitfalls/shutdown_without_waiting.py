"""`shutdown(wait=False)` on both pools: the call returns before the workers have ended.

It does not block the loop, but the processes and threads outlive the call (for a moment,
or for as long as a job still runs): whether they are gone when it returns is luck.
"""

REJECTED_BY = {
    "test_process_pool_is_shut_down": "wrong_answer",
    "test_download_threads_end_before_return": "wrong_answer",
}


async def crunch_all(paths: list[str], workers: int) -> list[LogStats]:
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        return list(await asyncio.gather(*(loop.run_in_executor(pool, crunch, p) for p in paths)))
    finally:
        pool.shutdown(wait=False)


async def download_all(store: LogStore, names: list[str], dest_dir: str, workers: int) -> list[str]:
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        jobs = [loop.run_in_executor(pool, store.download, name, dest_dir) for name in names]
        return list(await asyncio.gather(*jobs))
    finally:
        pool.shutdown(wait=False)
