"""Comparing the peak with the number of pages: only an unbounded fetch_all fails that.

`site.peak < len(PAGE_URLS)` is true for a fetch_all that runs 4 at once with limit=3: the
assertion must be about the limit itself.
"""

REJECTED_BY = {"test_catches_a_limit_one_too_high": "wrong_answer"}


async def test_never_exceeds_the_limit(site: FakeSite, no_leaked_tasks: None) -> None:
    """Never more than `limit` fetches are in flight at once."""
    await fetch_all(site.fetch, PAGE_URLS, limit=3)
    assert site.peak < len(PAGE_URLS), "every page was fetched at once"
