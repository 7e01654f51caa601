"""Counting in the object and writing the result to the store, never reading it.

The store's count is what other servers see and add to; a counter that starts from its own
zero overwrites it.
"""

REJECTED_BY = {"test_counts_on_from_the_stored_value": "wrong_answer"}


def _hit(self: HitCounter, page: str) -> int:
    with self._lock:
        counts = self.__dict__.setdefault("_counts", {})
        counts[page] = counts.get(page, 0) + 1
        self._store.write(page, counts[page])
        return counts[page]


HitCounter.hit = _hit
