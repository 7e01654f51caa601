"""Shutting the thread pool down off the loop but never with cancel_futures: a failed
download_all still downloads every queued log before it raises."""

REJECTED_BY = {"test_download_error_cancels_the_queued_downloads": "wrong_answer"}


async def download_all(store: LogStore, names: list[str], dest_dir: str, workers: int) -> list[str]:
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        jobs = [loop.run_in_executor(pool, store.download, name, dest_dir) for name in names]
        return list(await asyncio.gather(*jobs))
    finally:
        await asyncio.to_thread(pool.shutdown, wait=True)
