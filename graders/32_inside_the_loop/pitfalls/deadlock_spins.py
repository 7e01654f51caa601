"""With nothing ready and no timer, the loop keeps turning instead of raising."""

REJECTED_BY = {"test_nothing_left_to_run_raises_runtime_error": "timeout"}


def _run_until_complete(self, coro):
    main = self.create_task(coro)
    while not main.done():
        if not self._ready and self._timers:
            self._now = self._timers[0][0]
        while self._timers and self._timers[0][0] <= self._now:
            _when, _order, callback, args = heapq.heappop(self._timers)
            self._ready.append((callback, args))
        for _ in range(len(self._ready)):
            callback, args = self._ready.popleft()
            callback(*args)
    return main.result()


Loop.run_until_complete = _run_until_complete
