"""A `threading.Lock` around the awaits of `reserve`: the second order freezes the loop.

The second order blocks the loop's only thread in `acquire()`; the first order, which holds
the lock, can never resume to release it. Nothing (not even a timeout) runs again.
"""

REJECTED_BY = {"test_concurrent_orders_never_oversell": "wrong_answer"}


def _init(self: Shop, stock: StockService) -> None:
    self._stock = stock
    self._lock = threading.Lock()


async def _reserve(self: Shop, sku: str, quantity: int) -> bool:
    with self._lock:
        available = await self._stock.available(sku)
        if available < quantity:
            return False
        await self._stock.set_available(sku, available - quantity)
        return True


Shop.__init__ = _init  # type: ignore[method-assign]
Shop.reserve = _reserve
