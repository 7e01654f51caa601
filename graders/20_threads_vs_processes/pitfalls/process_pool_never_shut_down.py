"""Creating the process pool and never shutting it down: its workers outlive the call.

A ProcessPoolExecutor keeps its worker processes (and a manager thread) until `shutdown()`;
without it every call to crunch_all leaves processes behind.
"""

REJECTED_BY = {"test_process_pool_is_shut_down": "wrong_answer"}


async def crunch_all(paths: list[str], workers: int) -> list[LogStats]:
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(max_workers=workers)
    return list(await asyncio.gather(*(loop.run_in_executor(pool, crunch, p) for p in paths)))
