"""Only SourceError counts as a failure: any other error of a source escapes search_fares,
and every fare already collected is lost."""

REJECTED_BY = {"test_any_error_of_a_source_is_a_failure": "exception"}


async def search_fares(sources, route, deadline):
    if not sources:
        return SearchResult({})
    names = {asyncio.create_task(source.quote(route)): source.name for source in sources}
    tasks = set(names)
    try:
        done, pending = await asyncio.wait(tasks, timeout=deadline)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
    fares = {}
    failed = []
    for task in done:
        try:
            fares[names[task]] = task.result()
        except SourceError:
            failed.append(names[task])
    for task in pending:
        if not task.cancelled():
            task.exception()
    return SearchResult(
        fares,
        late=tuple(sorted(names[task] for task in pending)),
        failed=tuple(sorted(failed)),
    )
