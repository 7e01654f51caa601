"""Giving the cancelled tasks a second grace period to unwind, then returning anyway.

`asyncio.wait(pending, timeout=grace_period)` after the cancel looks careful, but a task
whose cleanup (its `finally:`) takes longer is still running when aclose() returns: the
service "has shut down" while its work is still talking to the mail server.
"""

REJECTED_BY = {"test_close_cancels_work_past_the_grace_period": "wrong_answer"}


async def aclose(self, grace_period):
    self._closed = True
    if not self._tasks:
        return 0
    _, pending = await asyncio.wait(set(self._tasks), timeout=grace_period)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=grace_period)
    return len(pending)


TaskRegistry.aclose = aclose
