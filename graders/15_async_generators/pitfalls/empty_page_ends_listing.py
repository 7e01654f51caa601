"""Taking an empty page for the last one, although its response has a next URL.

An empty page looks like the end of the listing, but only `response.next_url is None`
says so: issues closed or moved between two fetches leave a page empty in the middle,
and stopping there silently drops every page after it.
"""

REJECTED_BY = {"test_empty_page_in_the_middle_is_followed": "wrong_answer"}


async def iter_issues(api: Api, url: str) -> AsyncGenerator[Issue, None]:
    next_url: str | None = url
    while next_url is not None:
        response = await api.get(next_url)
        yielded = False
        try:
            async for issue in response:
                yielded = True
                yield issue
            next_url = response.next_url if yielded else None  # "no issues: we are done"
        finally:
            await response.aclose()
