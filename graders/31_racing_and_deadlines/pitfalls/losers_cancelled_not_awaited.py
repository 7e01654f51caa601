"""Cancelling the losers and returning at once: they are still closing their connections."""

REJECTED_BY = {"test_losers_are_cancelled_and_awaited": "wrong_answer"}


async def first_answer(mirrors, path):
    tasks = [asyncio.create_task(m.fetch(path)) for m in mirrors]
    pending = set(tasks)
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                if task in done and task.exception() is None:
                    return mirrors[tasks.index(task)].name, task.result()
        raise ExceptionGroup("every mirror failed", [t.exception() for t in tasks])
    finally:
        for t in tasks:
            t.cancel()
