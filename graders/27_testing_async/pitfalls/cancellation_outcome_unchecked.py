"""Checking that the fetches were cancelled, not that fetch_all itself ended cancelled.

A fetch_all that catches its cancellation, cancels its fetches and returns normally passes
this test: the fetches did stop. But whoever cancelled it (a timeout, a TaskGroup) sees a
normal return and believes the work finished. Assert that awaiting the task raises
CancelledError.
"""

REJECTED_BY = {"test_catches_swallowed_cancellation": "wrong_answer"}


async def test_cancellation_propagates(site: FakeSite, no_leaked_tasks: None) -> None:
    """Cancelling fetch_all stops its fetches."""
    fetching = asyncio.create_task(fetch_all(site.fetch, [HANGING_URL, *PAGE_URLS], limit=2))
    await site.until_in_flight(1)
    fetching.cancel()
    await asyncio.gather(fetching, return_exceptions=True)
    assert site.cancelled == [HANGING_URL, PAGE_URLS[0]]
    assert site.in_flight == 0
