"""Locking only the read: the lock is released before the write.

Two threads can still both read the same count, one after the other under the lock, and
then both write count + 1; the lock must cover the whole read-modify-write.
"""

REJECTED_BY = {
    "test_no_hit_is_lost": "wrong_answer",
    "test_every_hit_gets_its_own_number": "wrong_answer",
}


def _hit(self: HitCounter, page: str) -> int:
    with self._lock:
        count = self._store.read(page) + 1
    self._store.write(page, count)
    return count


HitCounter.hit = _hit
