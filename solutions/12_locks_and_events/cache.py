"""A single-flight cache: many callers asking for the same missing key cause one fetch.

A web service caches product prices from a slow pricing backend. When a popular price
expires, a hundred requests miss the cache in the same instant; if each one fetched,
the backend would get a hundred identical requests at once (a "cache stampede"). A
single-flight cache lets the first caller fetch and makes the others wait for its result.

1. `SingleFlightCache.get`: return a cached value at once. Otherwise, if no fetch for the
   key is in flight, start one (this caller is the leader) and record it in a `Flight`;
   if one is in flight, wait on its `done` event and share its result. Different keys
   never wait for each other.
2. Errors: when the fetch raises, every caller waiting for it gets the same error, nothing
   is cached, and the next `get` fetches again. If the leader is cancelled, the waiting
   callers neither hang nor get a wrong value: one of them fetches again.
3. `SingleFlightCache.get_many`: get several keys concurrently, a repeated key once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Fetch = Callable[[str], Awaitable[str]]
"""Fetches the value of one key from the backend; raises if the backend fails."""


class BackendError(Exception):
    """The pricing backend failed to answer."""


class PricingBackend:
    """A fake pricing backend: each fetch takes `latency` seconds; `calls` counts them."""

    def __init__(self, latency: float = 0.5) -> None:
        self.latency = latency
        self.calls = 0

    async def fetch(self, sku: str) -> str:
        self.calls += 1
        await asyncio.sleep(self.latency)
        if sku.startswith("broken"):
            raise BackendError(f"no price for {sku}")
        return f"{sku}: {sum(map(ord, sku)) % 100}.99 EUR"


@dataclass
class Flight:
    """One fetch in progress for one key.

    The leader sets `value` or `error`, then sets `done`; the other callers for the key
    wait with `await flight.done.wait()` and then read the outcome.
    """

    done: asyncio.Event = field(default_factory=asyncio.Event)
    value: str | None = None
    error: Exception | None = None


class SingleFlightCache:
    """A cache in front of `fetch` that never fetches the same key twice at the same time."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._values: dict[str, str] = {}
        self._flights: dict[str, Flight] = {}

    async def get(self, key: str) -> str:
        """The value of `key`, from the cache or from one shared fetch.

        Args:
            key: what to look up.

        Returns:
            The cached value, or the value fetched by the one fetch in flight for `key`.

        Raises:
            Exception: whatever the fetch raised, to the leader and to every caller that
                was waiting for that fetch; nothing is cached, so the next call retries.

        Example:
            >>> cache = SingleFlightCache(PricingBackend(latency=0).fetch)
            >>> asyncio.run(cache.get("sku-42"))
            'sku-42: 86.99 EUR'
        """
        # A loop, because a wait can end with nothing to show: the leader was cancelled.
        while True:
            if key in self._values:
                return self._values[key]
            flight = self._flights.get(key)
            if flight is None:
                # No await between the lookup above and registering the flight in _lead():
                # no other coroutine can run in between, so exactly one caller becomes the
                # leader. That is why no Lock is needed around this check.
                return await self._lead(key)
            # An Event wakes *every* waiter at once when set, and a waiter arriving after
            # it was set does not wait at all. One Event per key: callers for other keys
            # never wait on it, and a global Lock held during the fetch would make every
            # key (even cache hits) wait for the slowest fetch.
            await flight.done.wait()
            if flight.error is not None:
                # Every waiter re-raises the leader's error: one failure, one fetch, instead
                # of each waiter hammering a failing backend in turn.
                raise flight.error
            if flight.value is not None:
                return flight.value
            # Neither value nor error: the leader was cancelled mid-fetch. Loop: this
            # caller finds no flight and leads a new fetch (the first waiter to wake wins).

    async def _lead(self, key: str) -> str:
        """Fetch `key` for everyone waiting on it."""
        flight = Flight()
        self._flights[key] = flight
        try:
            value = await self._fetch(key)
        except Exception as exc:
            # Recorded for the waiters, raised for the leader; CancelledError is not an
            # Exception, so a cancelled leader leaves both fields empty (see get()).
            flight.error = exc
            raise
        else:
            self._values[key] = value
            flight.value = value
            return value
        finally:
            # Whatever happened (value, error, cancellation): forget the flight, so the
            # next get() after an error fetches again instead of finding the old error,
            # and set the event, so no waiter is left waiting for a fetch that is over.
            del self._flights[key]
            flight.done.set()

    async def get_many(self, keys: list[str]) -> dict[str, str]:
        """The values of several keys, fetched concurrently.

        Args:
            keys: what to look up; a key may appear more than once.

        Returns:
            Each distinct key mapped to its value.

        Raises:
            ExceptionGroup: holding the error of each key whose fetch failed (the other
                fetches are cancelled).

        Example:
            >>> cache = SingleFlightCache(PricingBackend(latency=0).fetch)
            >>> sorted(asyncio.run(cache.get_many(["sku-1", "sku-2", "sku-1"])))
            ['sku-1', 'sku-2']
        """
        # dict.fromkeys keeps one of each key, in order. The TaskGroup runs every get()
        # at once (so the keys are fetched concurrently) and cancels the rest if one fails.
        # A repeated key would be harmless anyway: its second get() would join the flight.
        async with asyncio.TaskGroup() as group:
            tasks = {key: group.create_task(self.get(key)) for key in dict.fromkeys(keys)}
        return {key: task.result() for key, task in tasks.items()}


async def main() -> None:
    backend = PricingBackend(latency=0.5)
    cache = SingleFlightCache(backend.fetch)
    prices = await asyncio.gather(*(cache.get("sku-7") for _ in range(100)))
    print(f"100 requests for sku-7 -> {backend.calls} fetch: {prices[0]}")
    results = await asyncio.gather(
        *(cache.get("broken-1") for _ in range(3)), return_exceptions=True
    )
    print(f"3 requests for broken-1 -> {backend.calls - 1} fetch: {results[0]!r}")
    print(await cache.get_many(["sku-1", "sku-2", "sku-7"]))


if __name__ == "__main__":
    asyncio.run(main())
