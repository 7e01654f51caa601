"""Awaiting the server's task with no limit: `stop_server(running, limit)` ignores its limit.

While a request is stuck and the server's own graceful timeout is long, stop_server waits
as long as the server does. `limit` is the caller's bound: after it, force the exit.
"""

REJECTED_BY = {"test_stop_forces_the_exit_after_its_limit": "timeout"}


async def stop_server(running: RunningServer, limit: float = 15.0) -> None:
    running.server.should_exit = True
    await running.task
