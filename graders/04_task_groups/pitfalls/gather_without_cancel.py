"""Fanning out with `asyncio.gather`: the first error comes back alone, siblings keep running.

gather raises the first exception at once but does not cancel the other awaitables; they go
on querying (and close their connections) after count_stock has already raised, and the
error is not an ExceptionGroup, so the other failures are lost.
"""

REJECTED_BY = {
    "test_failure_cancels_the_other_shards": "wrong_answer",
    "test_failures_surface_as_an_exception_group": "wrong_answer",
}


async def count_stock(shards: Sequence[Shard], sku: str) -> int:
    counts = await asyncio.gather(*(shard.count(sku) for shard in shards))
    return sum(counts)
