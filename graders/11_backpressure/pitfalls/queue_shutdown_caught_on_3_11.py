"""Writing `except asyncio.QueueShutDown` with no version check: right on 3.13, a crash on 3.11.

An except clause's class is looked up only when an exception reaches the clause. On 3.11
and 3.12 the stream ends with END, so a normal run never raises in `await queue.get()`
and every delivery check passes; but the first CancelledError raised there (ship_logs
cancelled, or the TaskGroup cancelling the sender because the reader failed) evaluates
`asyncio.QueueShutDown`, which those versions lack: AttributeError, and the caller gets an
ExceptionGroup of it instead of CancelledError or the source's error.

On 3.13+ the same code is right, so this file looks the class up, there, on a namespace
that lacks it as 3.11's asyncio does: the checks named below are proved on every Python.
"""

REJECTED_BY = {
    "test_ship_logs_can_be_cancelled_while_the_sender_waits": "wrong_answer",
    "test_ship_logs_fails_when_the_source_fails": "wrong_answer",
}

import types

# 3.11's asyncio, as far as this mistake can tell: no QueueShutDown.
_asyncio_here = asyncio if sys.version_info < (3, 13) else types.SimpleNamespace()


async def _next_line(queue: asyncio.Queue[str | None]) -> str | None:
    try:
        return await queue.get()
    except _asyncio_here.QueueShutDown:  # the learner wrote `except asyncio.QueueShutDown:`
        return None
