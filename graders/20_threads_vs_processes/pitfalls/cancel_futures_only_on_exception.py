"""`cancel_futures=True` only under `except Exception`: a cancellation shuts down without it.

CancelledError is a BaseException, not an Exception, so a cancelled call shuts its pool down
with cancel_futures=False. Here the cancelled gather happens to cancel its own futures, but
the shutdown no longer says so, and any job not awaited through gather would still run.
"""

REJECTED_BY = {
    "test_cancelled_crunch_all_shuts_the_pool_down": "wrong_answer",
    "test_cancelled_download_all_shuts_the_pool_down": "wrong_answer",
}


async def crunch_all(paths: list[str], workers: int) -> list[LogStats]:
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(max_workers=workers)
    failed = False
    try:
        return list(await asyncio.gather(*(loop.run_in_executor(pool, crunch, p) for p in paths)))
    except Exception:
        failed = True
        raise
    finally:
        await _shut_down(pool, cancel_futures=failed)


async def download_all(store: LogStore, names: list[str], dest_dir: str, workers: int) -> list[str]:
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=workers)
    failed = False
    try:
        jobs = [loop.run_in_executor(pool, store.download, name, dest_dir) for name in names]
        return list(await asyncio.gather(*jobs))
    except Exception:
        failed = True
        raise
    finally:
        await _shut_down(pool, cancel_futures=failed)
