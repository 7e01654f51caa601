"""On a failure, cancelling the other downloads and raising at once, without awaiting them.

`task.cancel()` only asks: the cancelled downloads are still running (unwinding) at the
instant the error is raised, so they outlive the call. The engine checks at that instant.
"""

REJECTED_BY = {
    "test_a_failed_download_is_raised": "leak",
    "test_a_failure_stops_the_other_downloads": "leak",
}


async def download_all(client: Client, urls: Sequence[str], limit: int) -> list[bytes]:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    semaphore = asyncio.Semaphore(limit)

    async def download(url: str) -> bytes:
        async with semaphore:
            return await client.get(url)

    tasks = [asyncio.create_task(download(url)) for url in urls]
    try:
        return list(await asyncio.gather(*tasks))
    except DownloadError:
        for task in tasks:
            task.cancel()  # asked to stop, but still running when we raise
        raise
