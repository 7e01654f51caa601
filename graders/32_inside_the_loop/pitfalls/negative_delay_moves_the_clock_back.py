"""call_later without clamping the delay: a negative one is due in the past, and jumping
the clock to it moves time backwards."""

REJECTED_BY = {"test_short_zero_and_negative_delays": "wrong_answer"}


def _call_later(self, delay, callback, *args):
    heapq.heappush(self._timers, (self._now + delay, next(self._order), callback, args))


Loop.call_later = _call_later
