"""Letting the plan hand out one shared iterator: the second `async for` gets nothing.

The count of readings taken lives in that one iterator; once the first loop has used it
up, every later loop over the same SensorPoll ends at once, silently.
"""

REJECTED_BY = {"test_sensor_poll_is_reiterable": "wrong_answer"}


class SensorPoll(SensorPoll):
    def __aiter__(self) -> PollIterator:
        if not hasattr(self, "_session"):
            self._session = PollIterator(self.sensor, self.interval, self.count)
        return self._session
