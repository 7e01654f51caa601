"""Starting the schedule when the iterator is made instead of at its first `__anext__`.

An iterator made a while before its `async for` finds its first readings already overdue
and takes them back to back, then falls into step with a schedule that began too early.
"""

REJECTED_BY = {"test_schedule_starts_at_the_first_reading": "wrong_answer"}


class PollIterator(PollIterator):
    def __init__(self, sensor: Sensor, interval: float, count: int) -> None:
        super().__init__(sensor, interval, count)
        self._start = asyncio.get_running_loop().time()
