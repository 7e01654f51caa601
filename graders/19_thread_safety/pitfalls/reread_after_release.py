"""Reading the count again after the lock is released, to return it.

The write happened under the lock, but by the time the count is read back other threads
may have counted more hits: two hits then return the same number.
"""

REJECTED_BY = {"test_every_hit_gets_its_own_number": "wrong_answer"}


def _hit(self: HitCounter, page: str) -> int:
    with self._lock:
        self._store.write(page, self._store.read(page) + 1)
    return self._store.read(page)


HitCounter.hit = _hit
