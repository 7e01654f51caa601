"""`acquire()` then `release()` with no try/finally: an error leaves the lock held.

When the store raises, `release()` is never reached, and every later hit waits forever.
"""

REJECTED_BY = {"test_a_failed_hit_releases_the_lock": "wrong_answer"}


def _hit(self: HitCounter, page: str) -> int:
    self._lock.acquire()
    count = self._store.read(page) + 1
    self._store.write(page, count)
    self._lock.release()
    return count


HitCounter.hit = _hit
