"""Counting without a lock: "`+= 1` is one line, so it must be atomic".

A read-modify-write is three steps, and another thread can run between any two of them:
two threads read the same count and one hit disappears.
"""

REJECTED_BY = {
    "test_no_hit_is_lost": "wrong_answer",
    "test_every_hit_gets_its_own_number": "wrong_answer",
}


def _hit(self: HitCounter, page: str) -> int:
    count = self._store.read(page) + 1
    self._store.write(page, count)
    return count


HitCounter.hit = _hit
