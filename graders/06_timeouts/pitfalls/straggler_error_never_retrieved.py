"""Reading only the finished tasks: a straggler that failed while closing is never looked at."""

REJECTED_BY = {"test_a_straggler_failing_while_it_closes_is_still_late": "leak"}


async def search_fares(sources: Sequence[FareSource], route: str, deadline: float) -> SearchResult:
    if not sources:
        return SearchResult({})
    names = {asyncio.create_task(source.quote(route)): source.name for source in sources}
    done, pending = await asyncio.wait(names, timeout=deadline)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)  # waits, but never asks how the stragglers ended
    found = {names[t]: t.result() for t in done if t.exception() is None}
    failed = tuple(sorted(names[t] for t in done if t.exception() is not None))
    return SearchResult(found, tuple(sorted(names[t] for t in pending)), failed)
