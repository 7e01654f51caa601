"""List a repository's issues from a paginated API, one page at a time, as they are needed.

The issue tracker's API returns issues a page at a time. Each response streams its page's
issues and carries the URL of the next page (like GitHub's `Link: <...>; rel="next"`
header), or None on the last page. A response holds a connection until it is closed.

1. `iter_issues`: an async generator that yields issue after issue, following the `next`
   links, fetching a page only when the caller asks for an issue beyond the previous one.
2. `iter_issues` again: close every response, in a `finally`, so the connection is given
   back when a page is used up, when the caller stops early, and when it is cancelled.
3. `find_issue`: return the first issue with a label, stopping the generator early, under
   `contextlib.aclosing` so its response is closed before `find_issue` returns.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Issue:
    """One issue of the tracker."""

    number: int
    title: str
    labels: tuple[str, ...] = ()


class Response(Protocol):
    """One page: `async for issue in response` streams its issues; close it when done."""

    next_url: str | None

    def __aiter__(self) -> AsyncIterator[Issue]: ...
    async def aclose(self) -> None: ...


class Api(Protocol):
    """The tracker's HTTP API: `get` opens a response for a page URL."""

    async def get(self, url: str) -> Response: ...


class FakeResponse:
    """A page held open on a (pretend) connection, streaming its issues one by one."""

    def __init__(self, issues: list[Issue], next_url: str | None) -> None:
        self.next_url = next_url
        self.closed = False
        self._issues = list(issues)
        self._position = 0

    def __aiter__(self) -> FakeResponse:
        return self

    async def __anext__(self) -> Issue:
        if self.closed:
            raise RuntimeError("reading from a closed response")
        await asyncio.sleep(0)  # the next issue arrives from the network
        if self._position >= len(self._issues):
            raise StopAsyncIteration
        self._position += 1
        return self._issues[self._position - 1]

    async def aclose(self) -> None:
        self.closed = True


class FakeApi:
    """An in-memory tracker: `pages` maps a URL to (issues, next URL)."""

    def __init__(
        self, pages: dict[str, tuple[list[Issue], str | None]], latency: float = 0.1
    ) -> None:
        self.pages = pages
        self.latency = latency
        self.fetches = 0

    async def get(self, url: str) -> FakeResponse:
        await asyncio.sleep(self.latency)
        self.fetches += 1
        issues, next_url = self.pages[url]
        return FakeResponse(issues, next_url)


async def iter_issues(api: Api, url: str) -> AsyncGenerator[Issue, None]:
    """Yield every issue, page after page, fetching each page only when it is needed.

    Args:
        api: where to fetch the pages.
        url: the URL of the first page.

    Yields:
        The issues, in the API's order, one at a time (not one page at a time).

    Example:
        >>> api = FakeApi({"/p1": ([Issue(1, "a")], "/p2"), "/p2": ([Issue(2, "b")], None)})
        >>> async def numbers() -> list[int]:
        ...     return [issue.number async for issue in iter_issues(api, "/p1")]
        >>> asyncio.run(numbers())
        [1, 2]
    """
    next_url: str | None = url
    while next_url is not None:
        # Fetched here, inside the loop, so page k+1 is requested only when the caller
        # asks for an issue past the end of page k: a caller that stops early never pays
        # for the pages it does not read.
        response = await api.get(next_url)
        try:
            async for issue in response:
                # While we are suspended here the caller decides what happens next: ask
                # for more, stop (aclose() raises GeneratorExit here), or be cancelled.
                yield issue
            next_url = response.next_url
        finally:
            # `finally` runs in every one of those cases, so the connection is given back
            # whatever the caller does, and before the next page is opened.
            await response.aclose()


async def find_issue(api: Api, url: str, label: str) -> Issue | None:
    """Return the first issue carrying `label`, reading no further than needed.

    Args:
        api: where to fetch the pages.
        url: the URL of the first page.
        label: the label to look for.

    Returns:
        The first matching issue, or None if no issue has the label. Either way, every
        response opened has been closed when this returns.

    Example:
        >>> api = FakeApi({"/p1": ([Issue(1, "a"), Issue(2, "b", ("bug",))], None)})
        >>> asyncio.run(find_issue(api, "/p1", "bug"))
        Issue(number=2, title='b', labels=('bug',))
    """
    # Returning from inside `async for` leaves the generator suspended at its `yield`,
    # holding the open response. A sync generator would be closed at once when dropped,
    # but an async generator cannot be finalized without awaiting, so asyncio schedules
    # its aclose() for later, after we have returned. aclosing() awaits aclose() as we
    # leave the block: the generator's `finally` closes the response before we return.
    async with contextlib.aclosing(iter_issues(api, url)) as issues:
        async for issue in issues:
            if label in issue.labels:
                return issue
    return None


def demo_api() -> FakeApi:
    """Three pages of four issues; issue 6 is the first bug."""
    pages: dict[str, tuple[list[Issue], str | None]] = {}
    for page in range(1, 4):
        issues = [
            Issue(n, f"issue {n}", ("bug",) if n % 6 == 0 else ())
            for n in range(4 * page - 3, 4 * page + 1)
        ]
        pages[f"/issues?page={page}"] = (issues, f"/issues?page={page + 1}" if page < 3 else None)
    return FakeApi(pages)


async def main() -> None:
    api = demo_api()
    numbers = [issue.number async for issue in iter_issues(api, "/issues?page=1")]
    print(f"all issues: {numbers} in {api.fetches} fetches")
    api = demo_api()
    found = await find_issue(api, "/issues?page=1", "bug")
    print(f"first bug: {found} after {api.fetches} fetches")


if __name__ == "__main__":
    asyncio.run(main())
