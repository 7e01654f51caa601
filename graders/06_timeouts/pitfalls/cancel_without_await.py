"""Cancelling the stragglers without awaiting them: they are still closing when we return.

`task.cancel()` only schedules a CancelledError inside the task; the task still has to run
its cleanup. Returning right away leaves those connections half closed behind the caller.
"""

REJECTED_BY = {"test_stragglers_finish_unwinding_before_return": "wrong_answer"}


async def search_fares(sources: Sequence[FareSource], route: str, deadline: float) -> SearchResult:
    if not sources:
        return SearchResult({})
    names = {asyncio.create_task(source.quote(route)): source.name for source in sources}
    done, pending = await asyncio.wait(names, timeout=deadline)
    for task in pending:
        task.cancel()
    found = {names[t]: t.result() for t in done if t.exception() is None}
    failed = tuple(sorted(names[t] for t in done if t.exception() is not None))
    return SearchResult(found, tuple(sorted(names[t] for t in pending)), failed)
