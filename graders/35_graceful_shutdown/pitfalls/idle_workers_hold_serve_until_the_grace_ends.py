"""Waiting for the workers, not for the jobs, with idle workers blocked in a plain
`await queue.get()`: when every job finished before the stop, no worker ever ends, and
serve returns only at the end of the grace period."""

REJECTED_BY = {"test_serve_returns_at_the_stop_when_all_is_done": "wrong_answer"}


async def serve(queue, handle, *, workers, stop, grace):
    completed = 0
    cancelled = 0

    async def worker():
        nonlocal completed, cancelled
        while True:
            job = await queue.get()
            if stop.is_set():
                queue.put_nowait(job)
                return
            try:
                await handle(job)
            except asyncio.CancelledError:
                cancelled += 1
                raise
            completed += 1

    pool = [asyncio.create_task(worker()) for _ in range(workers)]
    try:
        await stop.wait()
        await asyncio.wait(pool, timeout=grace)
    finally:
        for task in pool:
            task.cancel()
        await asyncio.gather(*pool, return_exceptions=True)
    return ShutdownReport(completed, cancelled, queue.qsize())
