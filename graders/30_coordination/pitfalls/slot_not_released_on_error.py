"""The slot is released after the block, but not in a `finally:`: a failing build keeps it."""

REJECTED_BY = {"test_failing_build_gives_its_slot_back": "wrong_answer"}


@asynccontextmanager
async def _slot(self):
    await self._slots.acquire()
    self._in_use += 1
    yield
    self._in_use -= 1
    self._slots.release()
    async with self._changed:
        self._changed.notify_all()


SlotPool.slot = _slot
