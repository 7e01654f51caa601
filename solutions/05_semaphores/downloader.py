"""Download many files with at most `limit` requests in flight.

A mirror server allows a few connections per client; open more and it starts refusing
them. Downloading one file at a time wastes the allowance, downloading all at once breaks
it. A semaphore keeps exactly `limit` downloads going as long as there is work.

1. `download_all`: download every URL with at most `limit` requests in flight, and
   exactly `limit` whenever enough URLs are waiting (a free slot is reused at once);
   `limit` below 1 is a ValueError.
2. Return the bodies in the order of `urls`, whatever order the downloads finish in.
3. If a download fails, raise its error (alone or inside an ExceptionGroup) and leave no
   download running or waiting to start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol


class DownloadError(Exception):
    """The server answered with an error for `url`."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"{url}: HTTP {status}")
        self.url = url
        self.status = status


class Client(Protocol):
    """An HTTP client; `get` takes a while and may raise DownloadError."""

    async def get(self, url: str) -> bytes: ...


class FakeClient:
    """A pretend mirror: each URL takes `latency` seconds; URLs in `broken` fail with 404."""

    def __init__(self, latency: float = 1.0, broken: frozenset[str] = frozenset()) -> None:
        self.latency = latency
        self.broken = broken
        self.in_flight = 0
        self.peak = 0

    async def get(self, url: str) -> bytes:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
            if url in self.broken:
                raise DownloadError(url, 404)
            return f"<contents of {url}>".encode()
        finally:
            self.in_flight -= 1


async def download_all(client: Client, urls: Sequence[str], limit: int) -> list[bytes]:
    """Download every URL, never more than `limit` at once.

    Args:
        client: what performs the requests.
        urls: the files to download (may be empty).
        limit: how many requests may be in flight at once; at least 1.

    Returns:
        The bodies, in the order of `urls`.

    Raises:
        ValueError: if `limit` is below 1.
        DownloadError: (possibly inside an ExceptionGroup) if a download fails; the other
            downloads are stopped before it is raised.

    Example:
        >>> asyncio.run(download_all(FakeClient(latency=0), ["a", "b"], limit=1))
        [b'<contents of a>', b'<contents of b>']
    """
    if limit < 1:
        # Semaphore(0) would make every download wait forever: refuse it up front.
        raise ValueError(f"limit must be at least 1, not {limit}")
    semaphore = asyncio.Semaphore(limit)

    async def download(url: str) -> bytes:
        # The semaphore is held around the request itself, inside each task: every task
        # starts at once and waits for a slot, and the moment one request ends its slot
        # goes to the next waiting task. Batches of `limit` would instead wait for the
        # slowest of each batch.
        async with semaphore:
            return await client.get(url)

    # One task per URL in a TaskGroup: if a download fails, the group cancels the others,
    # including those still waiting for a slot, so nothing keeps running after we raise.
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(download(url)) for url in urls]
    # The tasks list is in input order, so the results are too, whatever finished first.
    return [task.result() for task in tasks]


async def main() -> None:
    client = FakeClient(latency=1.0)
    urls = [f"https://mirror.example/file-{n}.tar.gz" for n in range(10)]
    loop = asyncio.get_running_loop()
    started = loop.time()
    bodies = await download_all(client, urls, limit=3)
    elapsed = loop.time() - started
    print(f"{len(bodies)} files in {elapsed:.1f} s, at most {client.peak} at once")


if __name__ == "__main__":
    asyncio.run(main())
