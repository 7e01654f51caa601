"""Grades exercises/10_queues/crawler.py: a queue, a fixed pool of workers, join, cancel.

Requirements:
- 1: every page reachable from the start is fetched and its links recorded (all of them,
  as fetch returned them), no other page -> test_worker_finds_every_reachable_page
- 1: a link is queued (and fetched) once, added to `seen` when queued
  -> test_worker_fetches_each_url_once
- 1: a failing fetch is recorded as "ExceptionName: message" and the worker carries on;
  task_done() once per URL taken, so join() returns -> test_worker_marks_failing_pages_done
- 1: cancelled inside fetch, the worker ends with CancelledError and records nothing for
  that URL (`except Exception`, not BaseException)
  -> test_worker_cancelled_while_fetching_ends_cancelled
- 1: links are queued only while len(seen) < max_urls, checked in the same step as the add
  -> test_worker_respects_the_url_limit
- 1: the worker loops until cancelled -> test_worker_finds_every_reachable_page
- 2: crawl returns once queue.join() has returned, with the whole site
  -> test_crawl_returns_the_whole_site
- 2: the workers are cancelled and awaited before crawl returns (checked at that instant)
  -> test_crawl_returns_the_whole_site
- 2: `workers` worker tasks: exactly that many fetches at once
  -> test_crawl_fetches_with_all_workers_at_once
- 2: `seen` starts with the start URL -> test_crawl_fetches_each_url_once,
  test_crawl_passes_the_url_limit_on
- 2: a failing start page ends the crawl, in report.errors -> test_crawl_survives_failing_pages
- 2: max_urls reaches the workers -> test_crawl_passes_the_url_limit_on
- checks: no worker left running, no coroutine un-awaited, the loop never blocked
  -> test_crawl_returns_the_whole_site, test_crawl_survives_failing_pages
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import pytest

from katagrader import DeadlineExceeded, InFlight, learner_module, within

crawler = learner_module("crawler")

BASE = "https://probe.test/"


class ProbeError(Exception):
    """The grader's failing page."""


class ProbedSite:
    """A fake site whose fetches take `latency` virtual seconds, are logged, and are counted
    while in flight. URLs missing from `pages` fail with a 404, those in `failing` with
    ProbeError."""

    def __init__(
        self, pages: dict[str, list[str]], *, failing: set[str] | None = None, latency: float = 1.0
    ) -> None:
        self.pages = pages
        self.failing = failing or set()
        self.latency = latency
        self.in_flight = InFlight()
        self.fetched: list[str] = []

    async def fetch(self, url: str) -> list[str]:
        self.fetched.append(url)
        async with self.in_flight:
            await asyncio.sleep(self.latency)
        if url in self.failing:
            raise ProbeError(f"500 Internal Server Error: {url}")
        if url not in self.pages:
            raise ProbeError(f"404 Not Found: {url}")
        return list(self.pages[url])


def tree_site(fanout: int, depth: int) -> dict[str, list[str]]:
    """A site shaped like a tree: each page links to its children, its parent and the home
    page, so there are cycles everywhere."""
    pages: dict[str, list[str]] = {}

    def add(path: str, parent: str | None, level: int) -> None:
        url = BASE + path
        children = [f"{path}{i}/" for i in range(fanout)] if level < depth else []
        links = [BASE + c for c in children] + ([parent] if parent else []) + [BASE]
        pages[url] = links
        for child in children:
            add(child, url, level + 1)

    add("", None, 0)
    return pages


def mesh_site(hubs: int, shared: int) -> dict[str, list[str]]:
    """The home page links to `hubs` hub pages, and every hub links to the same `shared`
    pages: fetched at the same time, the hubs all discover the same new URLs at once."""
    hub_urls = [f"{BASE}hub/{i}" for i in range(hubs)]
    shared_urls = [f"{BASE}shared/{j}" for j in range(shared)]
    pages = {BASE: hub_urls}
    pages.update({url: [*shared_urls, BASE] for url in hub_urls})
    pages.update(
        {
            url: [hub_urls[j % hubs], shared_urls[(j + 1) % shared]]
            for j, url in enumerate(shared_urls)
        }
    )
    return pages


def reachable(pages: dict[str, list[str]], start: str) -> set[str]:
    """Every URL a crawl from `start` must fetch (broken links included)."""
    found, todo = {start}, deque([start])
    while todo:
        for link in pages.get(todo.popleft(), []):
            if link not in found:
                found.add(link)
                todo.append(link)
    return found


async def run_workers(
    site: ProbedSite, start: str, *, workers: int = 3, max_urls: int = 1000
) -> Any:
    """The grader's own crawl() around the learner's worker(): queue `start`, start the
    workers, wait for queue.join(), cancel the workers. Returns the report."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    seen = {start}
    report = crawler.CrawlReport()
    queue.put_nowait(start)
    tasks = [
        asyncio.create_task(crawler.worker(queue, site.fetch, seen, report, max_urls))
        for _ in range(workers)
    ]
    joined = asyncio.create_task(queue.join())
    try:
        await within(
            120,
            asyncio.wait([joined, *tasks], return_when=asyncio.FIRST_COMPLETED),
            what=f"queue.join() while {workers} of your worker() tasks crawled {start}",
        )
    except DeadlineExceeded as exc:
        raise DeadlineExceeded(
            f"{exc.message}\nqueue.join() returns only when queue.task_done() has been called "
            f"once for every URL put on the queue; {len(site.fetched)} URLs were fetched and "
            f"{queue.qsize()} are still queued. Is task_done() skipped for some URL (a failing "
            "fetch, a `continue`)? Call it in a `finally:` right after the `get()`."
        ) from None
    finally:
        for task in [joined, *tasks]:
            task.cancel()
        await asyncio.wait([joined, *tasks], timeout=5)
    if not all(task.done() for task in tasks):
        raise DeadlineExceeded(
            "a worker() task kept running after it was cancelled: never catch "
            "asyncio.CancelledError without raising it again (`except Exception` does not "
            "catch it)."
        )
    # Retrieve every worker's exception (not only the first) so none is reported as lost.
    errors = [task.exception() for task in tasks if not task.cancelled()]
    for error in errors:
        if error is not None:
            raise error
    for task in tasks:
        if not task.cancelled():
            raise AssertionError(
                f"worker(queue, fetch, seen, report, {max_urls}) returned instead of running "
                "until it was cancelled; a worker loops forever (`while True:` around `await "
                "queue.get()`), even when the queue is momentarily empty, and only crawl() "
                "stops it, by cancelling it."
            )
    return report


# Step 1: the worker ----------------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_worker_finds_every_reachable_page() -> None:
    """Workers fetch every page reachable from the start, and record each page's links."""
    pages = tree_site(fanout=3, depth=2)
    pages[BASE + "island"] = [BASE]  # nothing links here: it must not be fetched
    site = ProbedSite(pages)
    report = await run_workers(site, BASE)
    expected = {url: pages[url] for url in reachable(pages, BASE)}
    got = report.pages
    assert set(got) == set(expected), (
        f"3 workers crawling from {BASE} recorded {len(got)} page(s) in report.pages; expected "
        f"the {len(expected)} reachable pages, each mapped to its list of links. Missing: "
        f"{sorted(set(expected) - set(got))[:5]}; "
        f"not expected: {sorted(set(got) - set(expected))[:5]}. "
        "Put each new link on the queue so some worker fetches it."
    )
    differing = [url for url in sorted(expected) if got[url] != expected[url]]
    if differing:
        url = differing[0]
        recorded = got[url]
        left_out = [link for link in expected[url] if link not in recorded]
        if isinstance(recorded, list) and not left_out and len(recorded) == len(expected[url]):
            how = "the same links in another order: keep the page's order"
        elif left_out and all(link in expected[url] for link in recorded):
            how = (
                f"it leaves out {left_out[:3]}: record every link of the page, also those "
                "already seen or queued (`seen` decides what to fetch, not what the page holds)"
            )
        else:
            how = "record the list fetch(url) returned, as it is"
        pytest.fail(
            f"3 workers crawling from {BASE} recorded the right {len(expected)} pages, but "
            f"the links of {len(differing)} of them differ; for instance report.pages[{url!r}]"
            f" is {recorded!r}, while that page links to {expected[url]!r}: {how}."
        )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_worker_fetches_each_url_once() -> None:
    """A URL linked from many pages is queued and fetched only once."""
    site = ProbedSite(mesh_site(hubs=8, shared=6))
    await run_workers(site, BASE, workers=4)
    repeated = sorted({url for url in site.fetched if site.fetched.count(url) > 1})
    assert not repeated, (
        f"4 workers fetched {len(site.fetched)} times for {len(set(site.fetched))} URLs; these "
        f"were fetched more than once: {repeated[:5]}. Add a link to `seen` at the moment you "
        "queue it (not when it is fetched), and queue only links not already in `seen`."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_worker_marks_failing_pages_done() -> None:
    """A failing page is recorded in report.errors and still marked done, so join() returns."""
    pages = tree_site(fanout=3, depth=2)
    broken = {BASE + "1/", BASE + "2/0/"}
    site = ProbedSite(pages, failing=broken)
    report = await run_workers(site, BASE)
    errors = report.errors
    assert set(errors) == broken, (
        f"with {sorted(broken)} failing, report.errors has {sorted(errors)}; expected exactly "
        "the failing pages. Catch the fetch's exception and record it instead of letting the "
        "worker die."
    )
    expected = {url: f"ProbeError: 500 Internal Server Error: {url}" for url in broken}
    assert errors == expected, (
        f"report.errors is {errors}; expected {expected}: the exception's class name, a colon, "
        'then its message (f"{type(exc).__name__}: {exc}").'
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_worker_cancelled_while_fetching_ends_cancelled() -> None:
    """A worker cancelled in the middle of a fetch ends with CancelledError and records
    nothing for that URL (a cancellation is not a page error)."""
    url = BASE + "slow"
    site = ProbedSite({url: [BASE + "next"]}, latency=3600)  # the fetch hangs
    queue: asyncio.Queue[str] = asyncio.Queue()
    queue.put_nowait(url)
    report = crawler.CrawlReport()
    what = "worker(queue, fetch, seen, report, 100)"
    task = asyncio.create_task(crawler.worker(queue, site.fetch, {url}, report, 100))
    try:
        await asyncio.sleep(1)  # virtual: the worker took the URL and is inside fetch(url)
        if task.done():
            task.result()  # the learner's own error (NotImplementedError...) is the verdict
            pytest.fail(f"{what} returned 1 s in, while fetch({url!r}) was still running.")
        assert site.fetched == [url], (
            f"{what} with {url!r} queued had fetched {site.fetched} after 1 s; expected it "
            "to take the URL and call fetch(url)."
        )
        task.cancel()
        await asyncio.wait({task}, timeout=5)
        still_running = not task.done()
    finally:
        task.cancel()
        await asyncio.wait({task}, timeout=5)
    recorded = {
        name: getattr(report, name)[url]
        for name in ("pages", "errors")
        if url in getattr(report, name)
    }
    assert not still_running and task.cancelled(), (
        f"{what} was cancelled while inside fetch({url!r}) and "
        + ("kept running" if still_running else "did not end with CancelledError")
        + (f", recording {recorded}" if recorded else "")
        + "; expected it to end cancelled. Catch `Exception` around the fetch, not "
        "`BaseException` (or a bare `except:`): CancelledError is a BaseException so that "
        "page errors and cancellation stay apart, and crawl() stops its workers by "
        "cancelling them."
    )
    assert not recorded, (
        f"{what} was cancelled while inside fetch({url!r}), ended cancelled, and recorded "
        f"{recorded}; expected nothing for that URL: the page was neither fetched nor "
        "broken. Record an error only for the fetch's own exception (`except Exception`)."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_worker_respects_the_url_limit() -> None:
    """On a big site, exactly max_urls URLs are fetched, each linked from a fetched page."""
    pages = tree_site(fanout=6, depth=3)  # 259 pages
    site = ProbedSite(pages)
    report = await run_workers(site, BASE, workers=4, max_urls=10)
    assert len(site.fetched) == 10, (
        f"4 workers with max_urls=10 on a site of {len(pages)} pages fetched "
        f"{len(site.fetched)} URLs; expected exactly 10. Check the limit when you queue a link "
        "(`len(seen) < max_urls`), in the same step as adding it to `seen`: a check made "
        "before or after the `await fetch(...)` lets several workers pass it at once."
    )
    fetched = set(site.fetched)
    linked = {BASE} | {link for url in fetched for link in pages[url]}
    assert fetched <= linked and report.urls == fetched, (
        f"fetched {sorted(fetched)}; report.urls is {sorted(report.urls)}; every fetched URL "
        "must be the start or linked from a fetched page, and be in the report."
    )
    big = ProbedSite(pages)
    await run_workers(big, BASE, workers=4, max_urls=258)
    assert len(big.fetched) == 258, (
        f"4 workers with max_urls=258 on a site of {len(pages)} pages fetched "
        f"{len(big.fetched)} URLs; expected exactly 258. (Compare sizes with `<`, never `is`: "
        "only small ints are shared objects.)"
    )


# Step 2: crawl ---------------------------------------------------------------------------


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_crawl_returns_the_whole_site() -> None:
    """crawl() returns once every reachable page is in the report, with no worker left running."""
    pages = tree_site(fanout=3, depth=2)
    site = ProbedSite(pages)
    report = await within(
        120, crawler.crawl(BASE, site.fetch, workers=3), what="crawl(BASE, fetch, workers=3)"
    )
    expected = reachable(pages, BASE)
    assert set(report.pages) == expected and not report.errors, (
        f"crawl(BASE, fetch, workers=3) returned {len(report.pages)} pages and "
        f"{len(report.errors)} errors; expected all {len(expected)} pages of the site and no "
        "error. Await queue.join() before returning: it waits for every queued URL."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_crawl_fetches_with_all_workers_at_once() -> None:
    """With plenty of pages waiting, exactly `workers` fetches are in flight at once."""
    pages = {BASE: [f"{BASE}{i}" for i in range(20)]}
    pages.update({f"{BASE}{i}": [BASE] for i in range(20)})
    site = ProbedSite(pages)
    await within(
        120, crawler.crawl(BASE, site.fetch, workers=5), what="crawl(BASE, fetch, workers=5)"
    )
    assert site.in_flight.peak == 5, (
        f"crawl(BASE, fetch, workers=5) had at most {site.in_flight.peak} fetch(es) in flight "
        "while 20 pages were waiting; expected exactly 5. Start `workers` worker tasks, no "
        "more and no fewer: the pool size is the limit on concurrent fetches."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_crawl_survives_failing_pages() -> None:
    """A failing page, even the start page, ends up in report.errors and crawl() still returns."""
    site = ProbedSite({}, failing={BASE})
    report = await within(
        30, crawler.crawl(BASE, site.fetch, workers=2), what="crawl(BASE, fetch, workers=2)"
    )
    assert set(report.errors) == {BASE} and not report.pages, (
        f"crawling a site whose start page fails gave pages={report.pages} and "
        f"errors={report.errors}; expected just the start page in report.errors."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_crawl_fetches_each_url_once() -> None:
    """crawl() starts `seen` with the start URL: pages linking back to it do not refetch it."""
    site = ProbedSite(mesh_site(hubs=6, shared=5))  # every hub links back to the start page
    await within(
        120, crawler.crawl(BASE, site.fetch, workers=3), what="crawl(BASE, fetch, workers=3)"
    )
    repeated = sorted({url for url in site.fetched if site.fetched.count(url) > 1})
    start_advice = (
        f"The start page {BASE} was fetched {site.fetched.count(BASE)} times: crawl() must put "
        "it in `seen` before the first worker runs (`seen = {start}`), or every page linking "
        "back to it queues it again."
        if BASE in repeated
        else "Each link must be added to `seen` when it is queued."
    )
    assert not repeated, (
        f"crawl(BASE, fetch, workers=3) fetched these URLs more than once: {repeated[:5]}. "
        + start_advice
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_crawl_passes_the_url_limit_on() -> None:
    """crawl(..., max_urls=7) fetches 7 URLs of a big site."""
    site = ProbedSite(tree_site(fanout=6, depth=3))
    report = await within(
        120,
        crawler.crawl(BASE, site.fetch, workers=3, max_urls=7),
        what="crawl(BASE, fetch, workers=3, max_urls=7)",
    )
    distinct = len(set(site.fetched))
    if site.fetched.count(BASE) > 1:
        advice = (
            f"The start page was fetched {site.fetched.count(BASE)} times: it was not in `seen` "
            "(start with `seen = {start}`), so it was queued again and counted apart."
        )
    elif distinct == 8:
        advice = (
            "One URL too many: the start URL counts towards max_urls, so `seen` must hold it "
            "from the start (`seen = {start}`)."
        )
    elif distinct > 7:
        advice = (
            f"{distinct} distinct URLs were fetched: the workers did not get max_urls=7 "
            "(pass it on to every worker)."
        )
    else:
        advice = "Too few: keep queueing links while len(seen) < max_urls."
    assert len(site.fetched) == 7 and len(report.urls) == 7, (
        f"crawl(BASE, fetch, workers=3, max_urls=7) fetched {len(site.fetched)} URLs "
        f"({distinct} distinct) and reported {len(report.urls)}; expected 7. {advice}"
    )
