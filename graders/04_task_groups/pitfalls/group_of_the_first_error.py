"""Failing fast by hand: gather, cancel and await the rest, and wrap the first error alone.

The siblings are stopped correctly, but a second shard that failed at the same moment is
lost: the caller sees one ShardBusy and never learns that another shard is corrupted.
"""

REJECTED_BY = {"test_failures_at_the_same_moment_are_all_in_the_group": "wrong_answer"}


async def count_stock(shards: Sequence[Shard], sku: str) -> int:
    tasks = [asyncio.create_task(shard.count(sku)) for shard in shards]
    try:
        return sum(await asyncio.gather(*tasks))
    except ShardError as first:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise ExceptionGroup("a shard failed", [first]) from None
