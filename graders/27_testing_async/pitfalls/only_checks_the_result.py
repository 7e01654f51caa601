"""Testing the limit by checking the pages only: an unbounded fetch_all returns them too.

The limit is about *how* the pages are fetched, not *what* comes back, so no assertion on
the result can see it. Only the fake's in-flight counter (`site.peak`) can.
"""

REJECTED_BY = {"test_catches_an_ignored_limit": "wrong_answer"}


async def test_never_exceeds_the_limit(site: FakeSite, no_leaked_tasks: None) -> None:
    """Never more than `limit` fetches are in flight at once."""
    pages = await fetch_all(site.fetch, PAGE_URLS, limit=3)
    assert len(pages) == len(PAGE_URLS)
    assert all(page.startswith(b"<h1>") for page in pages)
