"""release() counts the slot as given back before the semaphore refuses it: a stray release
leaves in_use at -1, and wait_idle() then never returns."""

REJECTED_BY = {"test_extra_release_raises_value_error": "wrong_answer"}


def _release(self) -> None:
    self._in_use -= 1
    self._slots.release()


SlotPool.release = _release
