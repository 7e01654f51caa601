"""Geocode addresses with a blocking legacy client, without freezing the event loop.

`LegacyGeocoder` is an old synchronous SDK: each `lookup()` waits on the network with
`time.sleep()` and then parses the answer on the CPU. Called from a coroutine it would stop
the whole event loop for every lookup; the calls must run on worker threads instead.

1. `geocode`: run one lookup in a worker thread and await its result.
2. `geocode_all`: geocode many addresses concurrently, at most `limit` lookups at once,
   results in input order.
3. `GeocoderPool`: a long-lived service with its own thread pool of `workers` threads;
   `lookup` runs on that pool, `aclose` shuts the pool down without blocking the loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol


@dataclass(frozen=True)
class Coordinates:
    """Where an address is on the map."""

    latitude: float
    longitude: float


class Geocoder(Protocol):
    """A synchronous (blocking) geocoding client."""

    def lookup(self, address: str) -> Coordinates: ...


class LegacyGeocoder:
    """The vendor's old SDK: blocking network I/O plus a little parsing on the CPU."""

    def __init__(self, latency: float = 0.5) -> None:
        self.latency = latency

    def lookup(self, address: str) -> Coordinates:
        time.sleep(self.latency)  # the SDK waits on its socket: this blocks the calling thread
        digest = hashlib.sha256(address.encode() * 2000).digest()  # "parsing the XML"
        return Coordinates(digest[0] / 255 * 180 - 90, digest[1] / 255 * 360 - 180)


async def geocode(client: Geocoder, address: str) -> Coordinates:
    """Look up one address in a worker thread, leaving the event loop free.

    Args:
        client: the blocking client.
        address: what to look up.

    Returns:
        The client's answer for `address`.

    Raises:
        Whatever `client.lookup` raises.

    Example:
        >>> asyncio.run(geocode(LegacyGeocoder(latency=0), "1 Main St")).latitude <= 90
        True
    """
    # TODO: run the blocking `client.lookup(address)` in a worker thread and await it.
    raise NotImplementedError("geocode: run the blocking lookup in a worker thread (step 1)")


async def geocode_all(client: Geocoder, addresses: list[str], limit: int) -> list[Coordinates]:
    """Geocode many addresses concurrently, at most `limit` lookups at a time.

    Args:
        client: the blocking client.
        addresses: what to look up.
        limit: the most lookups in flight at once (the vendor allows `limit` connections).

    Returns:
        One `Coordinates` per address, in the order of `addresses`.

    Example:
        >>> len(asyncio.run(geocode_all(LegacyGeocoder(0), ["a", "b", "c"], limit=2)))
        3
    """
    # TODO: look the addresses up concurrently, never more than `limit` at once, in order.
    raise NotImplementedError("geocode_all: geocode concurrently, `limit` at a time (step 2)")


class GeocoderPool:
    """A geocoding service with its own pool of `workers` threads.

    Use it as `async with GeocoderPool(client, workers=4) as pool: await pool.lookup(a)`.
    """

    def __init__(self, client: Geocoder, workers: int) -> None:
        """Create the pool's threads (lazily: a ThreadPoolExecutor starts them on demand).

        Args:
            client: the blocking client.
            workers: how many lookups may run at once.
        """
        # TODO: keep the client and create a thread pool of `workers` threads.
        raise NotImplementedError("GeocoderPool: create the pool's own executor (step 3)")

    async def lookup(self, address: str) -> Coordinates:
        """Look up one address on one of the pool's threads.

        Example:
            >>> async def demo() -> float:
            ...     async with GeocoderPool(LegacyGeocoder(0), workers=2) as pool:
            ...         return (await pool.lookup("1 Main St")).latitude
            >>> asyncio.run(demo()) <= 90
            True
        """
        # TODO: run the lookup on this pool's threads (not the default executor).
        raise NotImplementedError("GeocoderPool.lookup: run the lookup on the pool (step 3)")

    async def aclose(self) -> None:
        """Shut the pool down: wait for running lookups, then stop the threads.

        Does not block the event loop while it waits.
        """
        # TODO: shut the pool down and wait for its threads, without blocking the loop.
        raise NotImplementedError("GeocoderPool.aclose: shut the pool down (step 3)")

    async def __aenter__(self) -> GeocoderPool:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def main() -> None:
    client = LegacyGeocoder(latency=0.5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    found = await geocode_all(client, [f"{n} Main St" for n in range(6)], limit=3)
    print(f"{len(found)} addresses in {loop.time() - started:.1f} s (3 at a time)")
    async with GeocoderPool(client, workers=2) as pool:
        print(await pool.lookup("10 Downing St"))


if __name__ == "__main__":
    asyncio.run(main())
