"""Waiting until a batch is full (or the stream ends) before sending it.

With a busy app the batches are the same, so every content check passes; with a quiet
one, the first line waits for nine more that may take minutes, and the last lines of a
log before a crash are the ones never sent.
"""

REJECTED_BY = {"test_send_batches_sends_a_line_as_soon_as_it_arrives": "wrong_answer"}


async def send_batches(queue: asyncio.Queue[str | None], sink: Sink, batch_size: int) -> int:
    sent = 0
    ended = False
    while not ended:
        batch: list[str] = []
        while len(batch) < batch_size:
            line = await _next_line(queue)  # wait for every line of the batch
            if line is None:
                ended = True
                break
            batch.append(line)
        if batch:
            await sink(batch)
            sent += len(batch)
    return sent
