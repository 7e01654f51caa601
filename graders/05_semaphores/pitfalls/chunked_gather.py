"""Downloading in batches of `limit`: the peak is right, but each batch waits for its slowest.

While the slowest download of a batch runs, the other slots sit idle; a semaphore hands a
slot to the next URL the moment one is free.
"""

REJECTED_BY = {"test_a_free_slot_is_reused_at_once": "wrong_answer"}


async def download_all(client: Client, urls: Sequence[str], limit: int) -> list[bytes]:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    bodies: list[bytes] = []
    for start in range(0, len(urls), limit):
        batch = urls[start : start + limit]
        bodies.extend(await asyncio.gather(*(client.get(url) for url in batch)))
    return bodies
