"""Refusing `max_pending=1` (checking `<= 1` instead of `< 1`).

A queue of one line is small but valid (a strict hand-over between reader and sender);
only 0, which asyncio reads as unbounded, and negative sizes are errors.
"""

REJECTED_BY = {"test_ship_logs_rejects_an_unbounded_queue": "wrong_answer"}


async def ship_logs(
    source: AsyncIterable[str], sink: Sink, *, max_pending: int = 1000, batch_size: int = 100
) -> int:
    if max_pending <= 1 or batch_size < 1:
        raise ValueError(f"bad sizes {max_pending}, {batch_size}")
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=max_pending)
    async with asyncio.TaskGroup() as group:
        group.create_task(read_lines(source, queue))
        sender = group.create_task(send_batches(queue, sink, batch_size))
    return sender.result()
