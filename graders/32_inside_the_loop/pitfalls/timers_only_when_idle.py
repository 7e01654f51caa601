"""Due timers are moved to the ready queue only when it is empty: callbacks that keep it
busy hold a timer back for as long as they run."""

REJECTED_BY = {"test_due_timers_are_not_starved_by_busy_callbacks": "wrong_answer"}


def _run_until_complete(self, coro):
    main = self.create_task(coro)
    while not main.done():
        if not self._ready:
            if not self._timers:
                raise RuntimeError("deadlock")
            self._now = max(self._now, self._timers[0][0])
            while self._timers and self._timers[0][0] <= self._now:
                _when, _order, callback, args = heapq.heappop(self._timers)
                self._ready.append((callback, args))
        for _ in range(len(self._ready)):
            callback, args = self._ready.popleft()
            callback(*args)
    return main.result()


Loop.run_until_complete = _run_until_complete
