"""Entries `(priority, job)`: two jobs of equal priority are compared with each other.

Job has no order, so the heap's comparison raises TypeError as soon as two entries tie.
"""

REJECTED_BY = {"test_equal_priorities_keep_their_order": "wrong_answer"}


def _init(self) -> None:
    self._queue = asyncio.PriorityQueue()


def _put(self, job: Job) -> None:
    self._queue.put_nowait((job.priority, job))


async def _get(self) -> Job:
    return (await self._queue.get())[1]


JobQueue.__init__ = _init
JobQueue.put = _put
JobQueue.get = _get
