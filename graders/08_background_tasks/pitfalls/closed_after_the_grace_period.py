"""Marking the registry closed only once the grace period is over.

During the grace period the registry still accepts new work: a request arriving while
the service shuts down spawns a task that the shutdown never waited for, and cancels
only if it is lucky.
"""

REJECTED_BY = {"test_spawn_during_close_is_refused": "wrong_answer"}


async def aclose(self, grace_period):
    if not self._tasks:
        self._closed = True
        return 0
    _, pending = await asyncio.wait(set(self._tasks), timeout=grace_period)
    self._closed = True  # "now that the old work is done"
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
    return len(pending)


TaskRegistry.aclose = aclose
