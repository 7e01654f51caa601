"""The tie-breaker taken from `qsize()`: after a get, the next put repeats a number already
in the queue, and two Jobs are compared."""

REJECTED_BY = {"test_ties_stay_in_order_when_puts_and_gets_interleave": "wrong_answer"}


def _put(self, job: Job) -> None:
    self._queue.put_nowait((job.priority, self._queue.qsize(), job))


JobQueue.put = _put
