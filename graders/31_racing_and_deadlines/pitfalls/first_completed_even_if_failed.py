"""Taking the first mirror to finish, even when it failed: its error ends the race."""

REJECTED_BY = {"test_a_failure_does_not_win": "wrong_answer"}


async def first_answer(mirrors, path):
    tasks = [asyncio.create_task(m.fetch(path)) for m in mirrors]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        winner = next(t for t in tasks if t in done)
        return mirrors[tasks.index(winner)].name, winner.result()
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
