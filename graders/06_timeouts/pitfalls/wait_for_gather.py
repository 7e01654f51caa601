"""A timeout around the whole gather: on timeout every answer is lost, even those received.

`asyncio.wait_for(asyncio.gather(...), deadline)` cancels the gather at the deadline and
raises TimeoutError; the results of the sources that had already answered go with it.
"""

REJECTED_BY = {"test_keeps_the_answers_that_arrived_in_time": "wrong_answer"}


async def search_fares(sources: Sequence[FareSource], route: str, deadline: float) -> SearchResult:
    try:
        quotes = await asyncio.wait_for(
            asyncio.gather(*(source.quote(route) for source in sources), return_exceptions=True),
            timeout=deadline,
        )
    except TimeoutError:
        return SearchResult({}, late=tuple(sorted(s.name for s in sources)))
    found = {s.name: q for s, q in zip(sources, quotes) if isinstance(q, Fare)}
    failed = tuple(sorted(s.name for s, q in zip(sources, quotes) if not isinstance(q, Fare)))
    return SearchResult(found, failed=failed)
