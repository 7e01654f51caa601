"""Yielding a whole page (a list of issues) at a time.

The caller now loops twice to see an issue, and cannot stop in the middle of a page: the
API the docstring promises is one issue per item.
"""

REJECTED_BY = {"test_yields_every_issue_across_pages": "wrong_answer"}


async def iter_issues(api: Api, url: str) -> AsyncGenerator[list[Issue], None]:  # type: ignore[override]
    next_url: str | None = url
    while next_url is not None:
        response = await api.get(next_url)
        try:
            yield [issue async for issue in response]
            next_url = response.next_url
        finally:
            await response.aclose()
