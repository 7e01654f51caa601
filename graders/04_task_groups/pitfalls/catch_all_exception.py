"""Catching `Exception` around the whole group: every failure looks like "retry later".

The ExceptionGroup is an Exception, so the handler runs, but `isinstance(error,
ShardCorrupted)` is False for the group: the corrupted shard (and any bug) is reported as
a transient failure and retried forever.
"""

REJECTED_BY = {
    "test_corrupted_shard_is_fatal": "wrong_answer",
    "test_corruption_wins_when_both_kinds_fail_together": "wrong_answer",
    "test_unexpected_errors_are_not_swallowed": "wrong_answer",
}


async def check_stock(shards: Sequence[Shard], sku: str) -> StockCheck:
    try:
        total = await count_stock(shards, sku)
    except Exception as error:
        if isinstance(error, ShardCorrupted):
            raise InventoryCorrupted((error.shard,)) from error
        return StockCheck(sku, None, busy_shards=(), retry_after=1.0)
    return StockCheck(sku, total)
