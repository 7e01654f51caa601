"""wait_idle() polls every 0.1 s instead of waiting on the Condition: it returns late."""

REJECTED_BY = {"test_wait_idle_returns_when_the_last_slot_is_released": "wrong_answer"}


async def _wait_idle(self) -> None:
    while self._in_use:
        await asyncio.sleep(0.1)


SlotPool.wait_idle = _wait_idle
