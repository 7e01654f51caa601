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
from concurrent.futures import ThreadPoolExecutor
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
    # `client.lookup` blocks its thread for the whole call. `to_thread` runs it in the loop's
    # default executor and gives us something to await, so other coroutines keep running.
    return await asyncio.to_thread(client.lookup, address)


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
    # The default executor has min(32, cpus + 4) threads: that is its limit, not ours.
    # A semaphore taken *before* handing the call to a thread caps what is in flight.
    semaphore = asyncio.Semaphore(limit)

    async def one(address: str) -> Coordinates:
        async with semaphore:
            return await geocode(client, address)

    # gather keeps the results in the order of its arguments.
    return list(await asyncio.gather(*(one(address) for address in addresses)))


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
        self._client = client
        # A dedicated pool: slow lookups cannot starve the default executor, which the loop
        # also needs (for example for DNS resolution in `loop.getaddrinfo`).
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="geocoder")

    async def lookup(self, address: str) -> Coordinates:
        """Look up one address on one of the pool's threads.

        Example:
            >>> async def demo() -> float:
            ...     async with GeocoderPool(LegacyGeocoder(0), workers=2) as pool:
            ...         return (await pool.lookup("1 Main St")).latitude
            >>> asyncio.run(demo()) <= 90
            True
        """
        # `to_thread` always uses the default executor; `run_in_executor` takes ours.
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._client.lookup, address)

    async def aclose(self) -> None:
        """Shut the pool down: wait for running lookups, then stop the threads.

        Does not block the event loop while it waits.
        """
        # `shutdown(wait=True)` joins the worker threads: a blocking call like any other.
        # Done on the loop, it would freeze it until every running lookup finished, so it is
        # waited for from another thread.
        await asyncio.to_thread(self._executor.shutdown, wait=True)

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
