"""Collecting the errors as the mirrors fail: the group is in failure order, not mirror order."""

REJECTED_BY = {"test_all_failing_raises_their_errors_in_mirror_order": "wrong_answer"}


async def first_answer(mirrors, path):
    tasks = [asyncio.create_task(m.fetch(path)) for m in mirrors]
    errors = []
    try:
        for next_done in asyncio.as_completed(tasks):
            try:
                body = await next_done
            except Exception as exc:
                errors.append(exc)
                continue
            for task, mirror in zip(tasks, mirrors):
                if (
                    task.done()
                    and not task.cancelled()
                    and task.exception() is None
                    and task.result() == body
                ):
                    return mirror.name, body
        raise ExceptionGroup("every mirror failed", errors)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
