"""Each machine builds as soon as it is prepared: no barrier between the phases."""

REJECTED_BY = {"test_nobody_builds_before_everyone_is_prepared": "wrong_answer"}


async def run_in_phases(machines, abort):
    async def one(machine):
        await machine.prepare()
        if abort.is_set():
            raise PhasesAborted("aborted")
        return await machine.build()

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(m)) for m in machines]
    return [task.result() for task in tasks]
