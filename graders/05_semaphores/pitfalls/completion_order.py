"""Appending each body when its download finishes: the list comes back in completion order."""

REJECTED_BY = {"test_bodies_come_back_in_input_order": "wrong_answer"}


async def download_all(client: Client, urls: Sequence[str], limit: int) -> list[bytes]:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    semaphore = asyncio.Semaphore(limit)
    bodies: list[bytes] = []

    async def download(url: str) -> None:
        async with semaphore:
            bodies.append(await client.get(url))

    async with asyncio.TaskGroup() as group:
        for url in urls:
            group.create_task(download(url))
    return bodies
