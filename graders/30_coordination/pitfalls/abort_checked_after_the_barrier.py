"""The abort is looked at only once everyone reached the barrier: it takes effect late.

Nothing waits on the event, so with one machine preparing for 10 s the build is called off
at 10 s instead of at the moment `abort` was set.
"""

REJECTED_BY = {"test_abort_during_preparation_stops_everything": "wrong_answer"}


async def run_in_phases(machines, abort):
    barrier = asyncio.Barrier(len(machines))

    async def one(machine):
        await machine.prepare()
        await barrier.wait()
        if abort.is_set():
            raise PhasesAborted("the build was aborted")
        return await machine.build()

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(m)) for m in machines]
    except* PhasesAborted:
        raise PhasesAborted("the build was aborted") from None
    return [task.result() for task in tasks]
