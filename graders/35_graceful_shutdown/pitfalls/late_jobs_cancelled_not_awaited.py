"""The late jobs are cancelled but not awaited: serve returns while they still unwind."""

REJECTED_BY = {"test_late_jobs_are_cancelled_at_the_end_of_the_grace": "wrong_answer"}


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
                return
            finally:
                in_flight.discard(task)

    pool = [asyncio.create_task(worker()) for _ in range(workers)]
    await stop.wait()
    running = set(in_flight)
    if running:
        await asyncio.wait(running, timeout=grace)
    late = [t for t in running if not t.done()]
    for task in late:
        task.cancel()
    for task in pool:
        task.cancel()
    return ShutdownReport(completed, len(late), queue.qsize())
