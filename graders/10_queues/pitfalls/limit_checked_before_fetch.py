"""Checking the URL limit before each fetch instead of when queueing a link.

The check reads how many pages are done, then awaits the fetch. While one worker awaits,
the others run the same check and see the same count: near the limit every worker passes
it at once, and the crawl fetches more than `max_urls` pages. Check and reserve in one
step with no `await` in between.
"""

REJECTED_BY = {"test_worker_respects_the_url_limit": "wrong_answer"}


async def worker(
    queue: asyncio.Queue[str],
    fetch: Fetch,
    seen: set[str],
    report: CrawlReport,
    max_urls: int,
) -> None:
    while True:
        url = await queue.get()
        try:
            if len(report.urls) >= max_urls:
                continue  # limit reached: skip this URL (task_done() still runs)
            try:
                links = await fetch(url)
            except Exception as exc:
                report.errors[url] = f"{type(exc).__name__}: {exc}"
            else:
                report.pages[url] = links
                for link in links:
                    if link not in seen:
                        seen.add(link)
                        queue.put_nowait(link)
        finally:
            queue.task_done()
