"""Returning as soon as `queue.join()` does, with the workers still running.

After the last URL is done every worker sits in `await queue.get()` forever. Nobody
cancels them, so they outlive the crawl: leaked tasks that hold on to the queue and the
report, and that asyncio destroys with a warning when the loop closes.
"""

REJECTED_BY = {"test_crawl_returns_the_whole_site": "leak"}


async def crawl(start: str, fetch: Fetch, *, workers: int = 4, max_urls: int = 100) -> CrawlReport:
    queue: asyncio.Queue[str] = asyncio.Queue()
    seen = {start}
    report = CrawlReport()
    queue.put_nowait(start)
    for _ in range(workers):
        asyncio.create_task(worker(queue, fetch, seen, report, max_urls))
    await queue.join()
    return report
