"""Acquiring the semaphore in the loop and awaiting there: one download at a time.

The semaphore only limits work that was already started concurrently; used in the caller's
loop around an `await`, it holds the loop itself and the downloads run one after another.
"""

REJECTED_BY = {
    "test_never_more_than_limit_at_once": "wrong_answer",
    "test_ten_one_second_downloads_take_four_seconds": "wrong_answer",
}


async def download_all(client: Client, urls: Sequence[str], limit: int) -> list[bytes]:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    semaphore = asyncio.Semaphore(limit)
    bodies: list[bytes] = []
    for url in urls:
        async with semaphore:
            bodies.append(await client.get(url))
    return bodies
