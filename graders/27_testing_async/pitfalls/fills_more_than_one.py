"""Checking that more than one fetch runs at once: a fetch_all stuck at limit - 1 passes.

"Concurrent" is not "fills the limit": with limit=3, a fetch_all that never runs more than
2 at once is concurrent and still wrong.
"""

REJECTED_BY = {"test_catches_a_limit_never_filled": "wrong_answer"}


async def test_fills_the_limit(site: FakeSite, no_leaked_tasks: None) -> None:
    """With more pages than `limit`, `limit` fetches do run at the same time."""
    fetching = asyncio.create_task(fetch_all(site.fetch, PAGE_URLS, limit=3))
    try:
        async with asyncio.timeout(1):
            await site.until_in_flight(2)  # "it is concurrent"
    finally:
        pages = await fetching
    assert len(pages) == len(PAGE_URLS)
