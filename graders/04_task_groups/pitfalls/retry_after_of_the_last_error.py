"""Taking retry_after from the last busy error of the group, not the longest."""

REJECTED_BY = {"test_retry_after_is_the_longest_wait_wherever_it_is": "wrong_answer"}


async def check_stock(shards: Sequence[Shard], sku: str) -> StockCheck:
    busy: list[ShardBusy] = []
    try:
        total = await count_stock(shards, sku)
    except* ShardCorrupted as corrupted:
        raise InventoryCorrupted(tuple(sorted(_shard_names(corrupted)))) from corrupted
    except* ShardBusy as group:
        busy = [error for error in _leaves(group) if isinstance(error, ShardBusy)]
    if busy:
        return StockCheck(
            sku,
            None,
            busy_shards=tuple(sorted(error.shard for error in busy)),
            retry_after=busy[-1].retry_after,  # the last one seen
        )
    return StockCheck(sku, total)
