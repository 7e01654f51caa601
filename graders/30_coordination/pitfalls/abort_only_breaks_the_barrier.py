"""The watcher only aborts the barrier: machines still preparing go on until they reach it,
so with nobody waiting yet the abort takes effect late."""

REJECTED_BY = {"test_abort_with_every_machine_preparing_stops_them_at_once": "wrong_answer"}


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
    except* asyncio.BrokenBarrierError:
        raise PhasesAborted("aborted") from None
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    return [task.result() for task in tasks]
