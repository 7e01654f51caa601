"""No grace period: the jobs in flight are cancelled the moment the stop is asked."""

REJECTED_BY = {"test_no_job_starts_after_the_stop": "wrong_answer"}

_solution_serve = serve


async def serve(queue, handle, *, workers, stop, grace):
    return await _solution_serve(queue, handle, workers=workers, stop=stop, grace=0)
