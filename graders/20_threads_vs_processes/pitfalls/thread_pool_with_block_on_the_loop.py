"""`with ThreadPoolExecutor(...) as pool:` inside the coroutine: the exit blocks the loop.

The exit joins the pool's threads on the event loop's thread (and, on an error, waits there
for the downloads still running).
"""

REJECTED_BY = {"test_download_threads_end_before_return": "wrong_answer"}


async def download_all(store: LogStore, names: list[str], dest_dir: str, workers: int) -> list[str]:
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        jobs = [loop.run_in_executor(pool, store.download, name, dest_dir) for name in names]
        return list(await asyncio.gather(*jobs))
