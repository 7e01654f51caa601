"""Gathering every download at once: the limit is ignored and the mirror is flooded."""

REJECTED_BY = {"test_never_more_than_limit_at_once": "wrong_answer"}


async def download_all(client: Client, urls: Sequence[str], limit: int) -> list[bytes]:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    return list(await asyncio.gather(*(client.get(url) for url in urls)))
