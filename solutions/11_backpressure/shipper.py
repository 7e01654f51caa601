"""Ship log lines to a slow collector in batches, without ever buffering too many.

An application writes log lines much faster than the remote collector accepts them. A
queue between the two absorbs bursts; a *bounded* queue also makes the reader wait when
the collector falls behind (backpressure), so memory stays flat however long it lags.

1. `read_lines`: put every line of the source on the queue, waiting whenever it is full;
   then end the stream: `queue.shutdown()` on Python 3.13+, `await queue.put(END)` before.
2. `send_batches`: take lines off the queue and send them to the sink in batches of at
   most `batch_size`, one batch at a time and in order; when the stream ends, send what
   is left (the last, partial batch) and return how many lines were sent.
3. `ship_logs`: connect a source to a sink through a queue bounded to `max_pending` lines,
   running the reader and the sender concurrently; return when every line was sent.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import Final

Sink = Callable[[list[str]], Awaitable[None]]
"""Sends one batch of lines to the collector; returns once the collector has them."""

END: Final = None
"""Marks the end of the stream on Python 3.11 and 3.12, which lack `Queue.shutdown()`."""


class SlowCollector:
    """A fake remote collector: each batch takes `latency` seconds to send."""

    def __init__(self, latency: float = 0.2) -> None:
        self.latency = latency
        self.batches: list[list[str]] = []

    async def __call__(self, batch: list[str]) -> None:
        await asyncio.sleep(self.latency)
        self.batches.append(list(batch))


async def busy_app(count: int) -> AsyncIterator[str]:
    """A fake application that logs `count` lines as fast as it can."""
    for n in range(count):
        yield f"2025-01-01T00:00:{n % 60:02d} INFO request {n} served"


async def _next_line(queue: asyncio.Queue[str | None]) -> str | None:
    """Wait for the next line; `None` once the stream has ended and the queue is empty."""
    if sys.version_info >= (3, 13):
        # After shutdown() the queue still hands out the lines it holds; only when it is
        # empty does get() raise QueueShutDown. So nothing queued before the end is lost.
        try:
            return await queue.get()
        except asyncio.QueueShutDown:
            return None
    # Before 3.13 the reader puts END after its last line: FIFO order means it comes out
    # after every real line.
    return await queue.get()


async def read_lines(source: AsyncIterable[str], queue: asyncio.Queue[str | None]) -> None:
    """Put every line of `source` on `queue`, then end the stream.

    Args:
        source: the lines to ship, in order.
        queue: where to put them; when it is full, wait for room.

    Returns:
        None, once every line is queued and the stream is ended: on Python 3.13+ with
        `queue.shutdown()`, before that by putting `END` after the last line.

    Example:
        >>> # in a TaskGroup, beside send_batches(): tg.create_task(read_lines(app, queue))
    """
    async for line in source:
        # put() waits while the queue is full: this is the backpressure. The reader stops
        # pulling from the source until the sender has made room, so at most `maxsize`
        # lines wait in memory however far behind the collector is.
        await queue.put(line)
    if sys.version_info >= (3, 13):
        # shutdown() (not immediate) lets the sender drain what is queued, then makes its
        # get() raise QueueShutDown: no sentinel value to reserve, and any late put() fails.
        queue.shutdown()
    else:
        await queue.put(END)  # may wait for room too, like any other line


async def send_batches(queue: asyncio.Queue[str | None], sink: Sink, batch_size: int) -> int:
    """Send the lines of `queue` to `sink` in batches, until the stream ends.

    Args:
        queue: filled by `read_lines`, ended by `queue.shutdown()` (3.13+) or `END`.
        sink: sends one batch; called with one batch at a time, never concurrently.
        batch_size: the most lines in one batch.

    Returns:
        How many lines were sent, once the last (possibly partial) batch was sent.

    Example:
        >>> # in a TaskGroup, beside read_lines(): tg.create_task(send_batches(q, sink, 100))
    """
    sent = 0
    ended = False
    while not ended:
        # Wait for the first line of the next batch: an empty queue means "nothing yet",
        # not "finished"; only the end of the stream finishes.
        first = await _next_line(queue)
        if first is None:
            break
        batch = [first]
        # Then take whatever else is already waiting, up to batch_size, without waiting
        # for more: a slow collector gets full batches, a quiet app gets its lines sent
        # at once instead of held back until a batch fills.
        while len(batch) < batch_size and not queue.empty():
            line = queue.get_nowait()
            if line is None:  # END on 3.11/3.12 (after shutdown() get_nowait never gives None)
                ended = True
                break
            batch.append(line)
        # Awaiting the sink before taking the next batch sends one batch at a time, so
        # the collector receives the lines in order; while we wait here the queue fills
        # up and the reader is held back by put().
        await sink(batch)
        sent += len(batch)
    # Whatever was in `batch` when the stream ended has been sent above: the last,
    # partial batch is not dropped.
    return sent


async def ship_logs(
    source: AsyncIterable[str], sink: Sink, *, max_pending: int = 1000, batch_size: int = 100
) -> int:
    """Ship every line of `source` to `sink`, holding at most `max_pending` lines in memory.

    Args:
        source: the lines to ship, in order.
        sink: sends one batch of lines.
        max_pending: the most lines queued between the reader and the sender (at least 1).
        batch_size: the most lines per batch (at least 1).

    Returns:
        How many lines were sent, once the last batch was sent. Nothing is left running.

    Raises:
        ValueError: if `max_pending` or `batch_size` is below 1 (`maxsize=0` would make the
            queue unbounded).
        Whatever `sink` raises (possibly inside an ExceptionGroup); the reader is stopped.

    Example:
        >>> asyncio.run(ship_logs(busy_app(25), SlowCollector(0), max_pending=10, batch_size=10))
        25
    """
    if max_pending < 1 or batch_size < 1:
        raise ValueError(
            f"max_pending and batch_size must be at least 1, not {max_pending} and {batch_size}"
        )
    # maxsize is what makes this a backpressure pipeline: asyncio.Queue() with no maxsize
    # (or maxsize=0) is unbounded, and a fast reader would pull the whole source into it.
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=max_pending)
    # Reader and sender must run at the same time: with a bounded queue, a reader run to
    # the end first would wait forever for room that only the sender can make. The
    # TaskGroup also stops the reader (blocked in put()) if the sink fails, instead of
    # leaving it waiting for a sender that is gone.
    async with asyncio.TaskGroup() as group:
        group.create_task(read_lines(source, queue))
        sender = group.create_task(send_batches(queue, sink, batch_size))
    return sender.result()


async def main() -> None:
    collector = SlowCollector(latency=0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    sent = await ship_logs(busy_app(500), collector, max_pending=50, batch_size=40)
    print(
        f"{sent} lines in {len(collector.batches)} batches "
        f"in {loop.time() - started:.1f} s; last batch: {len(collector.batches[-1])} lines"
    )


if __name__ == "__main__":
    asyncio.run(main())
