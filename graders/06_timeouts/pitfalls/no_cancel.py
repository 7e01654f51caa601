"""Returning at the deadline without cancelling the stragglers: they run on unattended.

asyncio.wait with a timeout cancels nothing; the late sources keep their connections open
and keep working after the page was rendered: leaked tasks.
"""

REJECTED_BY = {"test_stragglers_are_cancelled_at_the_deadline": "wrong_answer"}


async def search_fares(sources: Sequence[FareSource], route: str, deadline: float) -> SearchResult:
    if not sources:
        return SearchResult({})
    names = {asyncio.create_task(source.quote(route)): source.name for source in sources}
    done, pending = await asyncio.wait(names, timeout=deadline)
    found = {names[t]: t.result() for t in done if t.exception() is None}
    failed = tuple(sorted(names[t] for t in done if t.exception() is not None))
    return SearchResult(found, tuple(sorted(names[t] for t in pending)), failed)
