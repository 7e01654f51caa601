"""Timer entries `(when, callback, args)`: two timers due at the same time compare their callbacks."""

REJECTED_BY = {"test_call_later_runs_by_due_time_ties_in_order": "wrong_answer"}


def _call_later(self, delay, callback, *args):
    heapq.heappush(self._timers, (self._now + max(0.0, delay), callback, args))


def _run_until_complete(self, coro):
    main = self.create_task(coro)
    while not main.done():
        if not self._ready:
            if not self._timers:
                raise RuntimeError("deadlock")
            self._now = self._timers[0][0]
        while self._timers and self._timers[0][0] <= self._now:
            _when, callback, args = heapq.heappop(self._timers)
            self._ready.append((callback, args))
        for _ in range(len(self._ready)):
            callback, args = self._ready.popleft()
            callback(*args)
    return main.result()


Loop.call_later = _call_later
Loop.run_until_complete = _run_until_complete
