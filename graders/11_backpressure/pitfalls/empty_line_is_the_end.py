"""Testing for the end of the stream by truth value (`if not line:`): an empty line ends it.

END is None, and None is falsy, so `if not line:` looks like a test for END; but an empty
log line, "", is falsy too. The sender stops at the first empty line and returns, and every
line after it is never sent (in ship_logs the reader then waits for room forever). Compare
with `is END`.
"""

REJECTED_BY = {
    "test_send_batches_delivers_every_line_in_order": "wrong_answer",
    # in ship_logs the sender returns at the empty line; the reader then waits for room forever
    "test_ship_logs_delivers_every_line_in_order": "timeout",
}


async def send_batches(queue: asyncio.Queue[str | None], sink: Sink, batch_size: int) -> int:
    sent = 0
    ended = False
    while not ended:
        first = await _next_line(queue)
        if not first:  # END... or an empty line
            break
        batch = [first]
        while len(batch) < batch_size and not queue.empty():
            line = queue.get_nowait()
            if not line:
                ended = True
                break
            batch.append(line)
        await sink(batch)
        sent += len(batch)
    return sent
