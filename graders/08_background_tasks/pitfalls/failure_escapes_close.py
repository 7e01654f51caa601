"""Waiting out the grace period with `wait_for(gather(*tasks), grace_period)`.

It looks right: gather waits for every task, wait_for cancels them all at the deadline.
But gather raises the first failure at once: a task that fails during the grace period
makes aclose() raise that task's error while the other tasks are still running, so the
shutdown stops half-way and nobody waits for them.
"""

REJECTED_BY = {"test_a_failure_during_close_neither_escapes_nor_stops_it": "wrong_answer"}


async def aclose(self, grace_period):
    self._closed = True
    tasks = set(self._tasks)
    if not tasks:
        return 0
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), grace_period)
    except TimeoutError:
        pass  # wait_for cancelled the gather, which cancelled (and awaited) the tasks
    return sum(task.cancelled() for task in tasks)


TaskRegistry.aclose = aclose
