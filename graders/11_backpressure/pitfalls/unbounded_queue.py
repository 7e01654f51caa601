"""Creating the queue without `maxsize`: no backpressure at all.

`asyncio.Queue()` never makes `put()` wait, so a fast source is pulled into memory as
fast as it can produce, whatever the collector manages. With a collector that is down
for an hour, that is an hour of logs in RAM: the bound is the whole point of the queue.
"""

REJECTED_BY = {"test_ship_logs_keeps_the_backlog_bounded": "wrong_answer"}


async def ship_logs(
    source: AsyncIterable[str], sink: Sink, *, max_pending: int = 1000, batch_size: int = 100
) -> int:
    if max_pending < 1 or batch_size < 1:
        raise ValueError("max_pending and batch_size must be at least 1")
    queue: asyncio.Queue[str | None] = asyncio.Queue()  # "it's faster without a limit"
    async with asyncio.TaskGroup() as group:
        group.create_task(read_lines(source, queue))
        sender = group.create_task(send_batches(queue, sink, batch_size))
    return sender.result()
