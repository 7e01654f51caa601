"""Entries `(priority, job.name, job)`: ties are broken alphabetically, not by arrival."""

REJECTED_BY = {"test_equal_priorities_keep_their_order": "wrong_answer"}


def _init(self) -> None:
    self._queue = asyncio.PriorityQueue()


def _put(self, job: Job) -> None:
    self._queue.put_nowait((job.priority, job.name, job))


async def _get(self) -> Job:
    return (await self._queue.get())[2]


JobQueue.__init__ = _init
JobQueue.put = _put
JobQueue.get = _get
