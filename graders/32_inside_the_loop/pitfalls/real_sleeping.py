"""Waiting for timers in real time (time.sleep until due) instead of jumping the clock."""

REJECTED_BY = {"test_the_clock_jumps_to_the_next_timer": "timeout"}

import time as _time


def _run_until_complete(self, coro):
    main = self.create_task(coro)
    started = _time.monotonic()
    while not main.done():
        if not self._ready:
            if not self._timers:
                raise RuntimeError("deadlock")
            _time.sleep(max(0.0, self._timers[0][0] - self._now))
        self._now = max(self._now, _time.monotonic() - started)
        while self._timers and self._timers[0][0] <= self._now:
            _when, _order, callback, args = heapq.heappop(self._timers)
            self._ready.append((callback, args))
        for _ in range(len(self._ready)):
            callback, args = self._ready.popleft()
            callback(*args)
    return main.result()


Loop.run_until_complete = _run_until_complete
