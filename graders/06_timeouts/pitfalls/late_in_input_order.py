"""Naming the late and failed sources in the order the sources were given, not sorted.

Right with the README's example (its sources happen to be given in sorted order), wrong as
soon as they are not: the page lists airlines by name.
"""

REJECTED_BY = {
    "test_late_sources_are_sorted_by_name": "wrong_answer",
    "test_several_failures_are_sorted_and_the_others_unaffected": "wrong_answer",
}


async def search_fares(sources: Sequence[FareSource], route: str, deadline: float) -> SearchResult:
    if not sources:
        return SearchResult({})
    names = {asyncio.create_task(source.quote(route)): source.name for source in sources}
    done, pending = await asyncio.wait(names, timeout=deadline)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
    found = {names[t]: t.result() for t in done if t.exception() is None}
    failed = tuple(name for t, name in names.items() if t in done and t.exception() is not None)
    late = tuple(name for t, name in names.items() if t in pending)
    return SearchResult(found, late, failed)
