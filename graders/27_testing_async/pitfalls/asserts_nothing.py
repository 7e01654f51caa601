"""Tests that call fetch_all and assert nothing: they pass against every broken copy.

A test without an assertion only proves that the code does not crash. Each of these
runs fetch_all and throws the answer away, so whatever fetch_all gets wrong, they pass.
"""

REJECTED_BY = {
    "test_catches_pages_in_completion_order": "wrong_answer",
    "test_catches_an_ignored_limit": "wrong_answer",
    "test_catches_sequential_fetching": "wrong_answer",
    "test_catches_fetches_left_running_after_a_failure": "wrong_answer",
    "test_catches_swallowed_cancellation": "wrong_answer",
}


async def test_returns_pages_in_input_order(site: FakeSite) -> None:
    """The pages come back in the order of `urls`."""
    await fetch_all(site.fetch, PAGE_URLS, limit=3)


async def test_never_exceeds_the_limit(site: FakeSite) -> None:
    """Never more than `limit` fetches are in flight at once."""
    await fetch_all(site.fetch, PAGE_URLS, limit=3)


async def test_fills_the_limit(site: FakeSite) -> None:
    """With more pages than `limit`, `limit` fetches run at the same time."""
    await fetch_all(site.fetch, PAGE_URLS, limit=3)


async def test_failure_cancels_the_other_fetches(site: FakeSite) -> None:
    """A failing page raises its FetchError."""
    try:
        await fetch_all(site.fetch, [BROKEN_URL, PAGE_URLS[0]], limit=2)
    except FetchError:
        pass


async def test_cancellation_propagates(site: FakeSite) -> None:
    """Cancelling fetch_all stops it."""
    fetching = asyncio.create_task(fetch_all(site.fetch, PAGE_URLS, limit=2))
    await asyncio.sleep(0)
    fetching.cancel()
    await asyncio.gather(fetching, return_exceptions=True)
