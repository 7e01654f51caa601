"""Send text messages through a gateway that allows only so many requests per second.

The SMS gateway accepts `rate` requests per second on average and tolerates short bursts
of up to `burst` requests; go faster and it answers 429 Too Many Requests. A token bucket
keeps you under the limit: it holds up to `burst` tokens, refills at `rate` tokens per
second, and every request spends one token, waiting for it when the bucket is empty.

1. `TokenBucket.available`: refill the bucket from the time elapsed on the event loop's
   clock (`loop.time()`), never above `burst`, and return how many tokens it holds.
2. `TokenBucket.acquire`: spend a token, waiting exactly as long as the next one takes to
   arrive; waiters are served first come, first served, and a waiter that is cancelled
   spends nothing.
3. `TokenBucket.__aenter__` / `__aexit__`: make `async with bucket:` acquire a token.
4. `send_all`: send every message concurrently, each one only once the bucket allows it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """One text message to send."""

    number: str
    text: str


class Gateway(Protocol):
    """An SMS gateway: `send` returns the gateway's id for the message."""

    async def send(self, message: Message) -> str: ...


class FakeGateway:
    """An in-memory gateway that takes `latency` seconds per request."""

    def __init__(self, latency: float = 0.2) -> None:
        self.latency = latency
        self.sent: list[Message] = []

    async def send(self, message: Message) -> str:
        await asyncio.sleep(self.latency)
        self.sent.append(message)
        return f"sms-{len(self.sent)}"


class TokenBucket:
    """A token bucket on the running event loop's clock.

    Args:
        rate: tokens added per second.
        burst: the most tokens the bucket holds; it starts full.

    Raises:
        ValueError: if `rate` is not positive or `burst` is less than 1.
    """

    def __init__(self, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"need rate > 0 and burst >= 1, got rate={rate}, burst={burst}")
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        # The loop's clock is read on first use: the bucket may be built outside any loop.
        self._updated: float | None = None
        # asyncio.Lock hands itself over in FIFO order, and a newcomer cannot take it while
        # others wait: holding it while we wait for a token makes the bucket fair.
        self._lock = asyncio.Lock()

    def available(self) -> float:
        """Refill the bucket for the time elapsed and return how many tokens it holds.

        Returns:
            The tokens in the bucket now, between 0 and `burst` (fractions count).

        Raises:
            RuntimeError: if called outside a running event loop.

        Example:
            >>> async def demo() -> float:
            ...     return TokenBucket(rate=2, burst=5).available()
            >>> asyncio.run(demo())
            5.0
        """
        # loop.time(), not time.monotonic(): the event loop's clock is the one asyncio.sleep
        # counts on, so the bucket and its waits agree (and a fake clock controls both).
        now = asyncio.get_running_loop().time()
        if self._updated is not None:
            elapsed = now - self._updated
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        self._updated = now
        return self._tokens

    async def acquire(self) -> None:
        """Take one token, waiting until one is available.

        Waiters are served in the order they called `acquire`. A waiter cancelled while
        waiting takes no token, so the next one is served as early as it would have been.

        Example:
            >>> async def demo() -> None:
            ...     bucket = TokenBucket(rate=10, burst=1)
            ...     await bucket.acquire()  # at once: the bucket starts full
            ...     await bucket.acquire()  # 0.1 s later
            >>> asyncio.run(demo())
        """
        # Only the head of the line looks at the bucket; everybody else queues on the lock.
        # If we are cancelled while queued or while sleeping, we leave without touching
        # `_tokens`: the time we waited keeps refilling the bucket for the next in line.
        async with self._lock:
            missing = 1 - self.available()
            if missing > 0:
                # Sleep exactly until the missing fraction of a token has arrived, instead
                # of polling: no busy loop, and the loop's clock decides when we are served.
                # Nobody else touches the bucket meanwhile (we hold the lock), so one sleep
                # is enough.
                await asyncio.sleep(missing / self.rate)
                self.available()
            # max() absorbs float rounding (0.1 s at 10/s can refill 0.9999999999 tokens).
            self._tokens = max(0.0, self._tokens - 1)

    async def __aenter__(self) -> TokenBucket:
        """`async with bucket:` waits for a token, like `await bucket.acquire()`."""
        await self.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Nothing to give back: a spent token stays spent (unlike a semaphore's slot)."""
        return None


async def send_all(gateway: Gateway, bucket: TokenBucket, messages: list[Message]) -> list[str]:
    """Send every message concurrently, never faster than the bucket allows.

    Args:
        gateway: where to send.
        bucket: the rate limit shared by all the requests.
        messages: what to send.

    Returns:
        The gateway's ids, in the order of `messages`.

    Raises:
        Whatever a send raised (inside an ExceptionGroup with a TaskGroup), once no other
        send is still running or waiting for a token.

    Example:
        >>> msgs = [Message("+100", "hi"), Message("+200", "yo")]
        >>> asyncio.run(send_all(FakeGateway(0), TokenBucket(5, burst=2), msgs))
        ['sms-1', 'sms-2']
    """

    async def send_one(message: Message) -> str:
        # The bucket paces when requests *start*; once a token is spent the request runs
        # alongside the others, so slow answers do not slow down the sending rate.
        async with bucket:
            return await gateway.send(message)

    # A TaskGroup rather than a bare gather: if one send fails, the group cancels the
    # others (those still waiting for a token, too) and waits for them before raising.
    # The tasks, in message order, keep the ids in order whatever order they finish in.
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(send_one(m)) for m in messages]
    return [task.result() for task in tasks]


async def main() -> None:
    gateway = FakeGateway(latency=0.2)
    bucket = TokenBucket(rate=5, burst=3)
    messages = [Message(f"+1555000{n:04d}", "Your parcel is on its way") for n in range(10)]
    loop = asyncio.get_running_loop()
    started = loop.time()
    ids = await send_all(gateway, bucket, messages)
    print(f"sent {len(ids)} messages in {loop.time() - started:.2f} s (expected about 1.6 s)")


if __name__ == "__main__":
    asyncio.run(main())
