"""Collecting the failures as they happen (FIRST_COMPLETED loop), never sorting them.

`failed` comes out in the order the sources failed; with one failing source, or failures
that happen in name order, nobody notices.
"""

REJECTED_BY = {"test_several_failures_are_sorted_and_the_others_unaffected": "wrong_answer"}


async def search_fares(sources: Sequence[FareSource], route: str, deadline: float) -> SearchResult:
    if not sources:
        return SearchResult({})
    tasks = {asyncio.create_task(source.quote(route)): source.name for source in sources}
    found: dict[str, Fare] = {}
    failed: list[str] = []
    pending = set(tasks)
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while pending and loop.time() < end:
        done, pending = await asyncio.wait(
            pending, timeout=end - loop.time(), return_when=asyncio.FIRST_COMPLETED
        )
        for t in done:
            if t.exception() is None:
                found[tasks[t]] = t.result()
            else:
                failed.append(tasks[t])
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.wait(pending)
    return SearchResult(found, tuple(sorted(tasks[t] for t in pending)), tuple(failed))
