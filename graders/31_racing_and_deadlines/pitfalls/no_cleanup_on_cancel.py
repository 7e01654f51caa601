"""The losers are cancelled after the loop, not in a `finally:`: a cancelled race leaves every mirror running."""

REJECTED_BY = {"test_cancelling_the_race_stops_every_mirror": "wrong_answer"}


async def first_answer(mirrors, path):
    tasks = [asyncio.create_task(m.fetch(path)) for m in mirrors]
    pending = set(tasks)
    winner = None
    while pending and winner is None:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task in done and task.exception() is None:
                winner = task
                break
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if winner is None:
        raise ExceptionGroup("every mirror failed", [t.exception() for t in tasks])
    return mirrors[tasks.index(winner)].name, winner.result()
