"""Awaiting each shard before asking the next: right total, as slow as all shards together."""

REJECTED_BY = {"test_shards_are_queried_concurrently": "wrong_answer"}


async def count_stock(shards: Sequence[Shard], sku: str) -> int:
    total = 0
    for shard in shards:
        total += await shard.count(sku)
    return total
