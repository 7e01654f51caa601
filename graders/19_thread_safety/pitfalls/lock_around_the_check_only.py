"""Locking the check, releasing before the update: another order checks in the gap.

The lock is released before `set_available`, so the next order reads the stock before this
one has taken from it.
"""

REJECTED_BY = {"test_concurrent_orders_never_oversell": "wrong_answer"}


async def _reserve(self: Shop, sku: str, quantity: int) -> bool:
    async with self._lock:
        available = await self._stock.available(sku)
        enough = available >= quantity
    if enough:
        await self._stock.set_available(sku, available - quantity)
    return enough


Shop.reserve = _reserve
