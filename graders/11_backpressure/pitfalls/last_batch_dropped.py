"""Sending only full batches: when the stream ends, the partial batch in hand is dropped.

The loop collects lines until a batch is full and returns as soon as the stream ends,
forgetting the lines it was still holding: the last `len(lines) % batch_size` lines of
every shipment are lost, and a quiet application's lines wait until a batch fills.
"""

REJECTED_BY = {"test_send_batches_sends_the_last_partial_batch": "wrong_answer"}


async def send_batches(queue: asyncio.Queue[str | None], sink: Sink, batch_size: int) -> int:
    sent = 0
    batch: list[str] = []
    while True:
        line = await _next_line(queue)
        if line is None:
            return sent  # `batch` may still hold lines: they are never sent
        batch.append(line)
        if len(batch) == batch_size:
            await sink(batch)
            sent += len(batch)
            batch = []
