"""Sending everything that is waiting as one batch, ignoring `batch_size`.

After a slow send the queue is full, and draining it whole makes a batch of up to
`max_pending` lines: more than the collector accepts in one request (real collectors
reject oversized payloads), so the limit must stop the batch, not the empty queue.
"""

REJECTED_BY = {"test_send_batches_never_exceeds_the_batch_size": "wrong_answer"}


async def send_batches(queue: asyncio.Queue[str | None], sink: Sink, batch_size: int) -> int:
    sent = 0
    ended = False
    while not ended:
        first = await _next_line(queue)
        if first is None:
            break
        batch = [first]
        while not queue.empty():  # take everything that is waiting
            line = queue.get_nowait()
            if line is None:
                ended = True
                break
            batch.append(line)
        await sink(batch)
        sent += len(batch)
    return sent
