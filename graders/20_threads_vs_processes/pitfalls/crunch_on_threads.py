"""Crunching the logs on a thread pool: right answers, but one core does all the work.

Threads share the interpreter's GIL, so pure-Python work on several threads takes turns
instead of running in parallel; only separate processes use several cores.
"""

REJECTED_BY = {"test_crunch_runs_in_other_processes": "wrong_answer"}


async def crunch_all(paths: list[str], workers: int) -> list[LogStats]:
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=workers) as pool:  # "threads are lighter"
        return list(await asyncio.gather(*(loop.run_in_executor(pool, crunch, p) for p in paths)))
