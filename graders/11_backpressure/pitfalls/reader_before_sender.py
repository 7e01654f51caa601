"""Running the reader to the end before starting the sender: a deadlock.

With a bounded queue, `read_lines` waits for room once `max_pending` lines are queued;
only the sender makes room, and it has not started. Both wait forever. A bounded queue
needs its consumer running at the same time as its producer.
"""

REJECTED_BY = {"test_ship_logs_delivers_every_line_in_order": "timeout"}


async def ship_logs(
    source: AsyncIterable[str], sink: Sink, *, max_pending: int = 1000, batch_size: int = 100
) -> int:
    if max_pending < 1 or batch_size < 1:
        raise ValueError("max_pending and batch_size must be at least 1")
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=max_pending)
    await read_lines(source, queue)
    return await send_batches(queue, sink, batch_size)
