"""Workers check the stop only between jobs: one idle in queue.get() starts a job that
arrives in the very instant of the stop."""

REJECTED_BY = {"test_a_job_arriving_with_the_stop_is_not_started": "wrong_answer"}


async def serve(queue, handle, *, workers, stop, grace):
    completed = 0
    in_flight = set()

    async def worker():
        nonlocal completed
        while not stop.is_set():
            job = await queue.get()
            task = asyncio.create_task(handle(job))
            in_flight.add(task)
            try:
                await asyncio.shield(task)
                completed += 1
            except asyncio.CancelledError:
                if not task.cancelled():
                    raise
                return
            finally:
                in_flight.discard(task)

    pool = [asyncio.create_task(worker()) for _ in range(workers)]
    await stop.wait()
    await asyncio.sleep(0)  # the woken workers have started what they got
    running = set(in_flight)
    if running:
        await asyncio.wait(running, timeout=grace)
    late = [t for t in running if not t.done()]
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    for task in pool:
        task.cancel()
    await asyncio.gather(*pool, return_exceptions=True)
    return ShutdownReport(completed, len(late), queue.qsize())
