"""Cancelling the leftover tasks on close without awaiting them.

`task.cancel()` only requests a stop: when aclose returns, the cancelled tasks have not
even started their cleanup, and they run on after the service believes it has shut down.
"""

REJECTED_BY = {"test_close_cancels_work_past_the_grace_period": "wrong_answer"}


async def aclose(self, grace_period):
    self._closed = True
    if not self._tasks:
        return 0
    _, pending = await asyncio.wait(set(self._tasks), timeout=grace_period)
    for task in pending:
        task.cancel()  # fire and forget the cancellation too
    return len(pending)


TaskRegistry.aclose = aclose
