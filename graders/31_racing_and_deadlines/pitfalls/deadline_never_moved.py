"""One `asyncio.timeout(idle_timeout)` around the whole download, never rescheduled."""

REJECTED_BY = {"test_steady_download_outlasts_the_idle_timeout": "wrong_answer"}


async def download(chunks, idle_timeout):
    parts = []
    async with asyncio.timeout(idle_timeout):
        async for chunk in chunks:
            parts.append(chunk)
    return b"".join(parts)
