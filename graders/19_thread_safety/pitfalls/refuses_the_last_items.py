"""`<=` where `<` belongs: an order for exactly what is left is refused."""

REJECTED_BY = {"test_reserve_takes_the_last_items": "wrong_answer"}


async def _reserve(self: Shop, sku: str, quantity: int) -> bool:
    async with self._lock:
        available = await self._stock.available(sku)
        if available <= quantity:
            return False
        await self._stock.set_available(sku, available - quantity)
        return True


Shop.reserve = _reserve
