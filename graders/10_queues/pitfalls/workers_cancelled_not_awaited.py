"""Cancelling the workers and returning at once, without awaiting them.

`task.cancel()` only asks a task to stop: the worker ends later, at its next `await`. A
`crawl()` that cancels and returns hands back its report while every worker is still
running (unwinding its cancellation), the bug of the mCoding crawler this kata cites.
"""

REJECTED_BY = {"test_crawl_returns_the_whole_site": "leak"}


async def crawl(start: str, fetch: Fetch, *, workers: int = 4, max_urls: int = 100) -> CrawlReport:
    queue: asyncio.Queue[str] = asyncio.Queue()
    seen = {start}
    report = CrawlReport()
    queue.put_nowait(start)
    tasks = [
        asyncio.create_task(worker(queue, fetch, seen, report, max_urls)) for _ in range(workers)
    ]
    await queue.join()
    for task in tasks:
        task.cancel()
    return report
