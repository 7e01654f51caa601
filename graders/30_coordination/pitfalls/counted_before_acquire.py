"""The slot is counted as held before acquire() returns: a cancelled waiter leaves it counted."""

REJECTED_BY = {"test_cancelled_waiter_holds_no_slot": "timeout"}


@asynccontextmanager
async def _slot(self):
    self._in_use += 1
    await self._slots.acquire()
    try:
        yield
    finally:
        self._in_use -= 1
        self._slots.release()
        async with self._changed:
            self._changed.notify_all()


SlotPool.slot = _slot
