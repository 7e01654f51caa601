"""Crawl a small website with a queue of URLs and a fixed pool of workers.

The crawler starts from one page, fetches it, and follows its links to more pages of the
site. Instead of starting one task per link (unbounded: a big site would open thousands of
connections at once), it puts URLs on an `asyncio.Queue` and lets a fixed number of worker
tasks take them off, one at a time each.

1. `worker`: forever take a URL from the queue, fetch it, record the page (or the error),
   and queue each new link it finds, unless the URL limit is reached; mark every URL
   done with `queue.task_done()`, whatever happened to it.
2. `crawl`: queue the start URL, start `workers` workers, wait with `queue.join()` until
   every queued URL is done, then cancel the workers and wait for them to finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

Fetch = Callable[[str], Awaitable[list[str]]]
"""Fetches one URL and returns the links found on the page; raises if the page fails."""

ROOT = "https://docs.example/"

SITE: dict[str, list[str]] = {
    ROOT: [f"{ROOT}guide", f"{ROOT}api", f"{ROOT}blog"],
    f"{ROOT}guide": [f"{ROOT}guide/install", f"{ROOT}guide/tasks", ROOT],
    f"{ROOT}guide/install": [f"{ROOT}guide", f"{ROOT}api"],
    f"{ROOT}guide/tasks": [f"{ROOT}guide/queues", f"{ROOT}api/asyncio"],
    f"{ROOT}guide/queues": [f"{ROOT}guide/tasks", f"{ROOT}old/queues"],  # a broken link
    f"{ROOT}api": [f"{ROOT}api/asyncio", f"{ROOT}api/queue", ROOT],
    f"{ROOT}api/asyncio": [f"{ROOT}api", f"{ROOT}guide/tasks"],
    f"{ROOT}api/queue": [f"{ROOT}api", f"{ROOT}guide/queues"],
    f"{ROOT}blog": [f"{ROOT}blog/2024", f"{ROOT}blog/2025"],
    f"{ROOT}blog/2024": [f"{ROOT}blog", f"{ROOT}guide"],
    f"{ROOT}blog/2025": [f"{ROOT}blog", f"{ROOT}api/queue"],
}
"""A fake website: each URL mapped to the links on that page."""


class PageNotFound(Exception):
    """The fake site has no page at this URL (HTTP 404)."""


def site_fetcher(site: Mapping[str, list[str]] = SITE, latency: float = 0.1) -> Fetch:
    """A `Fetch` that reads pages from `site`, taking `latency` seconds per page.

    Example:
        >>> asyncio.run(site_fetcher(latency=0)(ROOT))[0]
        'https://docs.example/guide'
    """

    async def fetch(url: str) -> list[str]:
        await asyncio.sleep(latency)
        if url not in site:
            raise PageNotFound(f"404 Not Found: {url}")
        return list(site[url])

    return fetch


@dataclass
class CrawlReport:
    """What a crawl found: the links of each page fetched, and the pages that failed."""

    pages: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def urls(self) -> set[str]:
        """Every URL the crawl fetched, successfully or not."""
        return set(self.pages) | set(self.errors)


async def worker(
    queue: asyncio.Queue[str],
    fetch: Fetch,
    seen: set[str],
    report: CrawlReport,
    max_urls: int,
) -> None:
    """Take URLs off `queue` and crawl them, until cancelled.

    Args:
        queue: the URLs waiting to be fetched; new links are put on it.
        fetch: fetches a URL and returns its links.
        seen: every URL ever queued (shared by all the workers); a URL is queued once.
        report: where each page's links, or its error, are recorded.
        max_urls: at most this many URLs are ever queued (`len(seen) <= max_urls`).

    Returns:
        Never: it runs until it is cancelled.

    Raises:
        asyncio.CancelledError: when cancelled. The error of a page is recorded in
            `report.errors` as `"ExceptionName: message"`, never raised.

    Example:
        >>> # started by crawl(): asyncio.create_task(worker(queue, fetch, seen, report, 100))
    """
    # TODO: loop forever: get a URL, fetch it, record its links (or its error) in the report,
    #       queue each link not yet seen while len(seen) < max_urls, and call
    #       queue.task_done() for the URL whatever happened (try/finally).
    raise NotImplementedError("worker: take URLs off the queue and crawl them (step 1)")


async def crawl(start: str, fetch: Fetch, *, workers: int = 4, max_urls: int = 100) -> CrawlReport:
    """Crawl the site from `start` with `workers` concurrent workers.

    Args:
        start: the first URL to fetch.
        fetch: fetches a URL and returns its links (the caller chooses: a real HTTP
            client, or `site_fetcher()` for the fake site).
        workers: how many pages may be fetched at the same time.
        max_urls: fetch at most this many URLs, the start URL included.

    Returns:
        A `CrawlReport` of every page fetched; nothing is left running.

    Example:
        >>> report = asyncio.run(crawl(ROOT, site_fetcher(latency=0), workers=2))
        >>> sorted(report.errors)
        ['https://docs.example/old/queues']
    """
    # TODO: make the queue, the seen set and the report; queue `start`; start `workers`
    #       worker tasks; await queue.join(); then cancel the workers and wait for them.
    raise NotImplementedError("crawl: run the workers until the queue is done (step 2)")


async def main() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    report = await crawl(ROOT, site_fetcher(latency=0.5), workers=3)
    print(
        f"{len(report.pages)} pages, {len(report.errors)} errors in {loop.time() - started:.1f} s"
    )
    for url, error in report.errors.items():
        print(f"  {url}: {error}")


if __name__ == "__main__":
    asyncio.run(main())
