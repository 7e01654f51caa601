"""Starting a worker for every URL the crawl may fetch, "so that no URL ever waits".

The size of the worker pool is the limit on concurrent fetches: with `max_urls` workers
the crawl opens as many connections at once as there are pages waiting, which is exactly
what the queue was meant to prevent.
"""

REJECTED_BY = {"test_crawl_fetches_with_all_workers_at_once": "wrong_answer"}


async def crawl(start: str, fetch: Fetch, *, workers: int = 4, max_urls: int = 100) -> CrawlReport:
    queue: asyncio.Queue[str] = asyncio.Queue()
    seen = {start}
    report = CrawlReport()
    queue.put_nowait(start)
    async with asyncio.TaskGroup() as group:
        tasks = [
            group.create_task(worker(queue, fetch, seen, report, max_urls)) for _ in range(max_urls)
        ]
        await queue.join()
        for task in tasks:
            task.cancel()
    return report
