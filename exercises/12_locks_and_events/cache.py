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
        # TODO: return a cached value at once. Otherwise, if no Flight for the key is in
        #       self._flights, lead: register a Flight, fetch, store the value (or the
        #       error) on it, forget the flight and set its `done` event, whatever
        #       happened (try/finally). If a Flight is there, await its `done` event and
        #       share its outcome (re-raise its error). A leader cancelled mid-fetch
        #       leaves neither: then fetch again.
        raise NotImplementedError("get: one fetch per key, shared by every caller (steps 1-2)")

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
        # TODO: run a get() for each distinct key concurrently (a TaskGroup) and collect
        #       the results in a dict.
        raise NotImplementedError("get_many: get the keys concurrently (step 3)")


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
