"""Catching `ShardBusy` with a plain `except`: it never matches the ExceptionGroup.

A TaskGroup wraps the failures in an ExceptionGroup; `except ShardBusy` only matches a bare
ShardBusy, so the group escapes check_stock instead of becoming a "retry later" outcome.
"""

REJECTED_BY = {"test_busy_shards_give_a_retry_outcome": "wrong_answer"}


async def check_stock(shards: Sequence[Shard], sku: str) -> StockCheck:
    try:
        total = await count_stock(shards, sku)
    except ShardCorrupted as error:
        raise InventoryCorrupted((error.shard,)) from error
    except ShardBusy as error:
        return StockCheck(sku, None, busy_shards=(error.shard,), retry_after=error.retry_after)
    return StockCheck(sku, total)
