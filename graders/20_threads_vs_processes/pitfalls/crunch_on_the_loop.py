"""Calling the CPU-bound function straight from the coroutine: the event loop does it all.

`async def` does not make CPU work concurrent: each crunch runs on the loop's own thread,
one after another, and nothing else on the loop runs meanwhile.
"""

REJECTED_BY = {
    "test_crunch_runs_in_other_processes": "wrong_answer",
    "test_crunch_runs_in_parallel": "wrong_answer",
}


async def crunch_all(paths: list[str], workers: int) -> list[LogStats]:
    return [crunch(path) for path in paths]
