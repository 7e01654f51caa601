"""The barrier is aborted, but BrokenBarrierError escapes instead of PhasesAborted."""

REJECTED_BY = {"test_abort_during_preparation_stops_everything": "wrong_answer"}


async def run_in_phases(machines, abort):
    barrier = asyncio.Barrier(len(machines))

    async def one(machine):
        await machine.prepare()
        await barrier.wait()
        return await machine.build()

    async def watch_abort():
        await abort.wait()
        await barrier.abort()

    watcher = asyncio.create_task(watch_abort())
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(m)) for m in machines]
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    return [task.result() for task in tasks]
