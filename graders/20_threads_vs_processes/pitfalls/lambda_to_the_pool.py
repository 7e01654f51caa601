"""Sending a lambda to the process pool: it cannot be pickled, so no worker can run it.

A process pool sends the function to its workers by reference (module and name); a lambda
or a nested function has no importable name, and the call fails with a PicklingError.
"""

REJECTED_BY = {"test_crunch_all_matches_sequential_results": "exception"}


async def crunch_all(paths: list[str], workers: int) -> list[LogStats]:
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = [loop.run_in_executor(pool, lambda p=path: crunch(p)) for path in paths]
        return list(await asyncio.gather(*jobs))
