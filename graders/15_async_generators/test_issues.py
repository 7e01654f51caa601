"""Grades exercises/15_async_generators/issues.py: a lazy async generator over a paginated
API that closes every response it opens, and a caller that stops it early with aclosing.
The grader's fake API writes every fetch and every close to an event log, in order.

Requirements:
- 1: the issues one per item, in order, across pages -> test_yields_every_issue_across_pages
- 1: an empty page yields nothing, one fetch -> test_empty_listing_yields_nothing
- 1: an empty page with a next URL is followed (only next_url None ends)
  -> test_empty_page_in_the_middle_is_followed
- 1: a page fetched only when an issue beyond the previous one is asked for -> test_fetches_pages_lazily
- 2: each response closed when its page is used up, before the next fetch
  -> test_each_response_closed_before_the_next_fetch
- 2: closed when the caller stops early -> test_early_stop_closes_the_response
- 2: closed when the caller is cancelled (paused at yield, or waiting inside the generator)
  -> test_cancelled_consumer_closes_the_response, test_cancelled_while_streaming_closes_the_response
- 3: the first issue with the label, fetching no further -> test_find_issue_returns_the_first_match_lazily
- 3: "with the label" means among its labels, however many it has
  -> test_find_issue_matches_one_label_among_several
- 3: the open response closed before find_issue returns -> test_find_issue_closes_before_returning
- 3: None when nothing matches -> test_find_issue_without_match_returns_none
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from katagrader import learner_module, within

issues = learner_module("issues")

FIRST = "/issues?page=1"


def page_name(url: str) -> str:
    return url.rsplit("?", 1)[-1]


class ProbedResponse:
    """Streams its issues; records its closing in the API's log."""

    def __init__(self, api: ProbedApi, url: str, items: list[Any], next_url: str | None) -> None:
        self.api = api
        self.url = url
        self.next_url = next_url
        self.closed = False
        self._items = list(items)

    def __aiter__(self) -> ProbedResponse:
        return self

    async def __anext__(self) -> Any:
        if self.closed:
            raise RuntimeError(f"reading {page_name(self.url)} after it was closed")
        await asyncio.sleep(0)
        if not self._items:
            raise StopAsyncIteration
        if self._items[0] is STALL:
            self.api.stalled.set()
            await asyncio.sleep(3600)  # the connection hangs while streaming this page
        return self._items.pop(0)

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            self.api.log.append(f"close {page_name(self.url)}")


# In a page's items: the response hangs there (the generator waits inside `async for`).
STALL: Any = object()


class ProbedApi:
    """`pages` pages of `per_page` issues numbered from 1; `bug_at` carries the label, and
    `labels` gives chosen issues their labels."""

    def __init__(
        self,
        pages: int = 3,
        per_page: int = 3,
        bug_at: int | None = None,
        labels: dict[int, tuple[str, ...]] | None = None,
    ) -> None:
        self.log: list[str] = []
        self.fetches = 0
        self.stalled = asyncio.Event()
        self.pages: dict[str, tuple[list[Any], str | None]] = {}
        chosen = {**({bug_at: ("bug",)} if bug_at is not None else {}), **(labels or {})}
        for page in range(1, pages + 1):
            numbers = range((page - 1) * per_page + 1, page * per_page + 1)
            items = [issues.Issue(n, f"issue {n}", chosen.get(n, ())) for n in numbers]
            next_url = f"/issues?page={page + 1}" if page < pages else None
            self.pages[f"/issues?page={page}"] = (items, next_url)

    async def get(self, url: str) -> ProbedResponse:
        self.log.append(f"get {page_name(url)}")
        await asyncio.sleep(0.1)
        self.fetches += 1
        items, next_url = self.pages[url]
        return ProbedResponse(self, url, items, next_url)


async def collect(api: ProbedApi) -> list[Any]:
    return [issue async for issue in issues.iter_issues(api, FIRST)]


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_yields_every_issue_across_pages() -> None:
    """iter_issues yields each issue of each page, one item at a time, following `next`."""
    api = ProbedApi(pages=3, per_page=3)
    got = await within(10, collect(api), what=f"[i async for i in iter_issues(api, {FIRST!r})]")
    if got and isinstance(got[0], list | tuple):
        pytest.fail(
            f"iter_issues yielded {len(got)} lists of issues; expected the issues themselves, "
            "one `yield` per issue, so the caller can stop in the middle of a page."
        )
    numbers = [getattr(issue, "number", issue) for issue in got]
    assert numbers == list(range(1, 10)), (
        f"iter_issues over 3 pages of 3 issues yielded {numbers}; expected issues 1 to 9 in "
        "order: yield every issue of a page, then fetch response.next_url, until it is None."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_empty_listing_yields_nothing() -> None:
    """A single empty page yields no issue and is fetched once."""
    api = ProbedApi(pages=1, per_page=0)
    got = await within(10, collect(api), what=f"iter_issues(api, {FIRST!r}) on an empty page")
    assert got == [] and api.fetches == 1, (
        f"iter_issues over one empty page yielded {got!r} after {api.fetches} fetches; "
        "expected nothing, after 1 fetch."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_empty_page_in_the_middle_is_followed() -> None:
    """An empty page whose response still has a next URL is not the end: the next page is
    fetched and its issues are yielded."""
    api = ProbedApi(pages=3, per_page=2)
    _, next_url = api.pages["/issues?page=2"]
    api.pages["/issues?page=2"] = ([], next_url)  # issues 3 and 4 were closed meanwhile
    got = await within(10, collect(api), what=f"[i async for i in iter_issues(api, {FIRST!r})]")
    numbers = [getattr(issue, "number", issue) for issue in got]
    assert numbers == [1, 2, 5, 6], (
        f"iter_issues over 3 pages, the second one empty but with a next URL, yielded "
        f"{numbers} after the events {api.log}; expected [1, 2, 5, 6]. Only "
        "`response.next_url is None` ends the listing: an empty page can still link to the "
        "next one (issues closed between two fetches leave a page empty)."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_fetches_pages_lazily() -> None:
    """A page is fetched only when the caller asks for an issue beyond the previous page."""
    api = ProbedApi(pages=3, per_page=3)
    fetched_after: list[int] = []
    async with contextlib.aclosing(issues.iter_issues(api, FIRST)) as stream:
        for n in range(1, 5):
            await within(10, anext(stream), what=f"issue {n} of iter_issues(api, {FIRST!r})")
            fetched_after.append(api.fetches)
    assert fetched_after == [1, 1, 1, 2], (
        f"after taking issues 1, 2, 3 and 4 (3 per page), the API had been called "
        f"{fetched_after} times; expected [1, 1, 1, 2]. An async generator runs only when "
        "the caller asks for the next item: fetch page k+1 inside the loop, after the last "
        "issue of page k was yielded, never all pages up front."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_each_response_closed_before_the_next_fetch() -> None:
    """Reading every issue closes each page's response before the next page is fetched."""
    api = ProbedApi(pages=3, per_page=2)
    await within(10, collect(api), what=f"[i async for i in iter_issues(api, {FIRST!r})]")
    expected = ["get page=1", "close page=1", "get page=2", "close page=2"]
    expected += ["get page=3", "close page=3"]
    assert api.log == expected, (
        f"reading all issues of 3 pages gave the events {api.log}; expected {expected}. "
        "Close each response (await response.aclose()) once its issues are used up, before "
        "fetching the next page, so no connection is left open."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_early_stop_closes_the_response() -> None:
    """Breaking out of the loop under aclosing closes the open response before the caller
    goes on."""
    api = ProbedApi(pages=3, per_page=3)

    async def stop_at_issue_5() -> None:
        async with contextlib.aclosing(issues.iter_issues(api, FIRST)) as stream:
            async for issue in stream:
                if issue.number == 5:
                    break
        api.log.append("after the loop")

    await within(10, stop_at_issue_5(), what="breaking out of iter_issues at issue 5")
    expected = ["get page=1", "close page=1", "get page=2", "close page=2", "after the loop"]
    assert api.log == expected, (
        f"the caller broke out at issue 5 (page 2) under contextlib.aclosing; the events were "
        f"{api.log}, expected {expected}. aclosing calls the generator's aclose(), which "
        "raises GeneratorExit at the `yield`: a `finally:` around the loop over the page (or a "
        "context manager around it) closes the response then; code after the loop never runs."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_cancelled_consumer_closes_the_response() -> None:
    """Cancelling the caller while it holds an issue closes the open response."""
    api = ProbedApi(pages=3, per_page=3)
    busy = asyncio.Event()

    async def slow_consumer() -> None:
        async with contextlib.aclosing(issues.iter_issues(api, FIRST)) as stream:
            async for issue in stream:
                if issue.number == 2:
                    busy.set()
                    await asyncio.sleep(3600)  # working on issue 2 when cancelled

    task = asyncio.create_task(slow_consumer())
    reached = asyncio.create_task(busy.wait())
    try:
        await within(
            10,
            asyncio.wait({task, reached}, return_when=asyncio.FIRST_COMPLETED),
            what="iter_issues yielding issue 2",
        )
        if task.done():
            task.result()  # the loop ended before issue 2: show its error, if any
            pytest.fail(f"the loop over iter_issues ended before issue 2; events: {api.log}.")
    finally:
        reached.cancel()
        task.cancel()
        await asyncio.wait({task, reached}, timeout=10)
    assert task.cancelled(), (
        "the caller was cancelled while holding issue 2, but did not end with CancelledError; "
        "do not catch CancelledError (or GeneratorExit) inside the generator."
    )
    expected = ["get page=1", "close page=1"]
    assert api.log == expected, (
        f"the caller was cancelled while holding issue 2 of page 1; the events were {api.log}, "
        f"expected {expected}. Cancellation unwinds through the generator's `finally`: close "
        "the response there, not after the loop."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_cancelled_while_streaming_closes_the_response() -> None:
    """Cancelled while the generator itself waits for the next issue of a page (inside its
    `async for`, not paused at `yield`), the open response is closed."""
    api = ProbedApi(pages=2, per_page=3)
    items, next_url = api.pages[FIRST]
    api.pages[FIRST] = ([items[0], STALL, *items[1:]], next_url)

    async def consumer() -> None:
        async with contextlib.aclosing(issues.iter_issues(api, FIRST)) as stream:
            async for _ in stream:
                pass

    task = asyncio.create_task(consumer())
    reached = asyncio.create_task(api.stalled.wait())
    try:
        await within(
            10,
            asyncio.wait({task, reached}, return_when=asyncio.FIRST_COMPLETED),
            what="iter_issues streaming page 1",
        )
        if task.done():
            task.result()
            pytest.fail(
                f"the loop over iter_issues ended before page 1 stalled; events: {api.log}."
            )
    finally:
        reached.cancel()
        task.cancel()
        await asyncio.wait({task, reached}, timeout=10)
    assert task.cancelled(), (
        "the caller was cancelled while iter_issues waited for page 1's next issue, but did "
        "not end with CancelledError; let cancellation through."
    )
    expected = ["get page=1", "close page=1"]
    assert api.log == expected, (
        f"the caller was cancelled while iter_issues waited inside `async for` on page 1; the "
        f"events were {api.log}, expected {expected}. There the CancelledError is raised in "
        "the generator itself, at that await, not GeneratorExit at a `yield`: a `finally` "
        "(or a context manager) closes the response on both."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_find_issue_returns_the_first_match_lazily() -> None:
    """find_issue returns the first issue with the label, without fetching further pages."""
    api = ProbedApi(pages=3, per_page=3, bug_at=5)
    found = await within(
        10, issues.find_issue(api, FIRST, "bug"), what="find_issue(api, ..., 'bug')"
    )
    assert getattr(found, "number", None) == 5, (
        f"find_issue(api, {FIRST!r}, 'bug') returned {found!r}; expected issue 5, the first "
        "with the label."
    )
    assert api.fetches == 2, (
        f"find_issue fetched {api.fetches} pages to find issue 5 on page 2; expected 2: stop "
        "iterating as soon as you have found it."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_find_issue_matches_one_label_among_several() -> None:
    """An issue carries a label when the label is one of its labels, whatever its others."""
    api = ProbedApi(pages=3, per_page=3, labels={2: ("docs",), 4: ("ui", "bug", "p1"), 7: ("bug",)})
    found = await within(
        10, issues.find_issue(api, FIRST, "bug"), what="find_issue(api, ..., 'bug')"
    )
    assert getattr(found, "number", None) == 4, (
        f"find_issue(api, {FIRST!r}, 'bug') returned {found!r}; expected issue 4, labelled "
        "('ui', 'bug', 'p1'), the first issue carrying 'bug' (issue 7 is labelled ('bug',) "
        "alone). Test membership, `label in issue.labels`, not equality with a one-label tuple."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_find_issue_closes_before_returning() -> None:
    """The response open when the match is found is closed before find_issue returns."""
    api = ProbedApi(pages=3, per_page=3, bug_at=5)

    async def call() -> Any:
        found = await issues.find_issue(api, FIRST, "bug")
        api.log.append("find_issue returned")  # in the same step as the return
        return found

    await within(10, call(), what="find_issue(api, ..., 'bug')")
    expected = ["get page=1", "close page=1", "get page=2", "close page=2", "find_issue returned"]
    assert api.log[: len(expected)] == expected, (
        f"find_issue found issue 5 on page 2; the events were {api.log}, expected {expected}. "
        "Returning from inside `async for` leaves the generator suspended with page 2 open; "
        "asyncio closes an abandoned async generator only later, from the event loop. Loop "
        "under `async with contextlib.aclosing(iter_issues(...)) as stream:` so it is closed "
        "before you return."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_find_issue_without_match_returns_none() -> None:
    """With no issue carrying the label, find_issue reads every page and returns None."""
    api = ProbedApi(pages=2, per_page=2)
    found = await within(
        10, issues.find_issue(api, FIRST, "bug"), what="find_issue(api, ..., 'bug')"
    )
    assert found is None, (
        f"find_issue returned {found!r} when no issue has the label; expected None."
    )
    assert api.log == ["get page=1", "close page=1", "get page=2", "close page=2"], (
        f"find_issue with no match gave the events {api.log}; expected both pages fetched "
        "and closed."
    )
