"""Checking the stock, then taking it, with an `await` in between and no lock.

"There is only one thread, so there are no races": but every `await` lets the other orders
run, and they all see the same stock before any of them takes from it.
"""

REJECTED_BY = {"test_concurrent_orders_never_oversell": "wrong_answer"}


async def _reserve(self: Shop, sku: str, quantity: int) -> bool:
    available = await self._stock.available(sku)
    if available < quantity:
        return False
    await self._stock.set_available(sku, available - quantity)
    return True


Shop.reserve = _reserve
