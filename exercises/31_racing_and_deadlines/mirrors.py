"""Racing and deadlines: the first mirror wins, a hedged request, a deadline pushed back
while data flows, and a retry that leaves no cancellation behind.

1. `first_answer(mirrors, path)`: ask every mirror at once; return `(name, body)` of the
   first to answer successfully; cancel the others **and wait for them** before returning.
   If every mirror fails, raise an `ExceptionGroup` of their errors, in mirror order.
2. `hedged(fetch, delay)`: start one attempt; if it has not finished after `delay` seconds,
   start a second; return the first success, cancel and await the other.
3. `download(chunks, idle_timeout)`: join the chunks of an async iterable; give up with
   `TimeoutError` when no chunk arrives for `idle_timeout` seconds (the deadline moves on at
   every chunk: `Timeout.reschedule`).
4. `retry(op, attempts, per_attempt, backoff)`: up to `attempts` calls of `op()`, each
   within `per_attempt` seconds; after a `TimeoutError` or `ConnectionError`, sleep
   `backoff` and try again; raise the last error. A cancellation from outside is never
   retried, and no cancellation request of yours is left on the task afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")


class Mirror(Protocol):
    """A download mirror."""

    name: str

    async def fetch(self, path: str) -> bytes: ...


class FakeMirror:
    """A mirror that answers after `latency` seconds, or fails with ConnectionError."""

    def __init__(self, name: str, latency: float, fails: bool = False) -> None:
        self.name = name
        self.latency = latency
        self.fails = fails

    async def fetch(self, path: str) -> bytes:
        await asyncio.sleep(self.latency)
        if self.fails:
            raise ConnectionError(f"{self.name} is down")
        return f"{path} from {self.name}".encode()


async def first_answer(mirrors: Sequence[Mirror], path: str) -> tuple[str, bytes]:
    """Fetch `path` from every mirror at once and keep the first successful answer.

    Args:
        mirrors: where the file can be fetched (at least one).
        path: the file.

    Returns:
        `(mirror name, body)` of the first mirror to answer without an error.

    Raises:
        ExceptionGroup: every mirror failed; it holds their errors in mirror order.

    Example:
        >>> mirrors = [FakeMirror("slow", 0.2), FakeMirror("fast", 0.01)]
        >>> asyncio.run(first_answer(mirrors, "/iso"))
        ('fast', b'/iso from fast')
    """
    # TODO: step 1
    raise NotImplementedError(
        "Step 1: race the mirrors; keep the first success; cancel and await the rest."
    )


async def hedged(fetch: Callable[[], Awaitable[bytes]], delay: float) -> bytes:
    """Start `fetch()`; if it has not finished after `delay` seconds, start it again, and
    keep whichever succeeds first.

    Args:
        fetch: makes one attempt.
        delay: how long the first attempt runs alone.

    Returns:
        The body of the first successful attempt.

    Raises:
        The first attempt's error when it fails before the delay (no second attempt), or
        when both attempts fail.

    Example:
        >>> async def fetch() -> bytes:
        ...     await asyncio.sleep(0.01)
        ...     return b"ok"
        >>> asyncio.run(hedged(fetch, delay=1.0))
        b'ok'
    """
    # TODO: step 2
    raise NotImplementedError(
        "Step 2: one attempt, a second after `delay`; first success wins; await the loser."
    )


async def download(chunks: AsyncIterable[bytes], idle_timeout: float) -> bytes:
    """Join every chunk; fail only when the data stops flowing for `idle_timeout` seconds.

    Args:
        chunks: the download, chunk by chunk.
        idle_timeout: the longest wait for one chunk.

    Returns:
        All the bytes.

    Raises:
        TimeoutError: no chunk arrived for `idle_timeout` seconds (the whole download may
            take much longer than that, as long as it makes progress).

    Example:
        >>> async def chunks():
        ...     for part in (b"a", b"b"):
        ...         await asyncio.sleep(0.01)
        ...         yield part
        >>> asyncio.run(download(chunks(), idle_timeout=1.0))
        b'ab'
    """
    # TODO: step 3
    raise NotImplementedError(
        "Step 3: join the chunks under one timeout, rescheduled at every chunk."
    )


async def retry(
    op: Callable[[], Awaitable[T]], *, attempts: int, per_attempt: float, backoff: float
) -> T:
    """Call `op()` until it succeeds, at most `attempts` times, each within `per_attempt` s.

    Args:
        op: one try.
        attempts: the most calls (at least 1).
        per_attempt: the longest one call may take.
        backoff: the pause after a failed call.

    Returns:
        What the first successful call returned.

    Raises:
        TimeoutError or ConnectionError: the last call's error, after `attempts` calls.
        CancelledError: the caller was cancelled (also by an enclosing timeout), during a
            call or a pause: never retried.

    Example:
        >>> calls = []
        >>> async def op() -> str:
        ...     calls.append(1)
        ...     if len(calls) < 2:
        ...         raise ConnectionError("reset")
        ...     return "done"
        >>> asyncio.run(retry(op, attempts=3, per_attempt=1, backoff=0.01)), len(calls)
        ('done', 2)
    """
    # TODO: step 4
    raise NotImplementedError(
        "Step 4: retry timeouts and ConnectionErrors, never a cancellation from outside."
    )


async def main() -> None:
    mirrors = [FakeMirror("eu", 0.3), FakeMirror("us", 0.1), FakeMirror("asia", 0.05, fails=True)]
    print("first:", await first_answer(mirrors, "/python.tar.xz"))
    print("hedged:", await hedged(lambda: mirrors[1].fetch("/x"), delay=0.05))


if __name__ == "__main__":
    asyncio.run(main())
