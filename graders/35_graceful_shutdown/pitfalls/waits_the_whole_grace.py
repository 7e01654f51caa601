"""Sleeping the whole grace period before looking at the jobs: serve returns late even
when everything finished early."""

REJECTED_BY = {"test_no_job_starts_after_the_stop": "wrong_answer"}

_solution_serve = serve


async def serve(queue, handle, *, workers, stop, grace):
    report = await _solution_serve(queue, handle, workers=workers, stop=stop, grace=grace)
    await asyncio.sleep(grace)
    return report
