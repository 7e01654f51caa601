"""Waiting for every source and dropping the late answers afterwards: right fares, far too late.

The page renders only when the slowest airline has answered (10 s here), which is what
the deadline was meant to prevent.
"""

REJECTED_BY = {"test_returns_at_the_deadline": "wrong_answer"}


async def search_fares(sources: Sequence[FareSource], route: str, deadline: float) -> SearchResult:
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def timed(source: FareSource) -> tuple[Fare | BaseException, float]:
        try:
            fare: Fare | BaseException = await source.quote(route)
        except Exception as error:
            fare = error
        return fare, loop.time() - started

    outcomes = await asyncio.gather(*(timed(source) for source in sources))
    found: dict[str, Fare] = {}
    late: list[str] = []
    failed: list[str] = []
    for source, (fare, took) in zip(sources, outcomes):
        if took > deadline:
            late.append(source.name)
        elif isinstance(fare, Fare):
            found[source.name] = fare
        else:
            failed.append(source.name)
    return SearchResult(found, tuple(sorted(late)), tuple(sorted(failed)))
