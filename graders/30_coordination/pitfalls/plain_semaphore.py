"""A plain Semaphore: an extra release silently adds a slot."""

REJECTED_BY = {"test_extra_release_raises_value_error": "wrong_answer"}


def _init(self, size: int) -> None:
    self._slots = asyncio.Semaphore(size)
    self._in_use = 0
    self._changed = asyncio.Condition()


SlotPool.__init__ = _init
