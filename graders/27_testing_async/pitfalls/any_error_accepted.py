"""`pytest.raises(Exception)` in the failure test: any error passes it, a wrapped one too.

A fetch_all whose TaskGroup error escapes as an ExceptionGroup breaks every caller that
writes `except FetchError:`, and this test still passes: assert the error you promise.
"""

REJECTED_BY = {"test_catches_a_wrapped_error": "wrong_answer"}


async def test_failure_cancels_the_other_fetches(site: FakeSite, no_leaked_tasks: None) -> None:
    """A failing page raises its FetchError, and the fetches still running are stopped."""
    with pytest.raises(Exception):
        await fetch_all(site.fetch, [BROKEN_URL, HANGING_URL], limit=2)
