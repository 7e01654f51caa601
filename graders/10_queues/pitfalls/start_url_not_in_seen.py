"""Starting `seen` empty: the start URL is queued, but not marked as seen.

Every page that links back to the home page queues it again, so it is fetched twice,
and the URL limit is off by one (the start URL is not counted).
"""

REJECTED_BY = {
    "test_crawl_fetches_each_url_once": "wrong_answer",
    "test_crawl_passes_the_url_limit_on": "wrong_answer",
}


async def crawl(start: str, fetch: Fetch, *, workers: int = 4, max_urls: int = 100) -> CrawlReport:
    queue: asyncio.Queue[str] = asyncio.Queue()
    seen: set[str] = set()  # "the workers add what they queue"
    report = CrawlReport()
    queue.put_nowait(start)
    async with asyncio.TaskGroup() as group:
        tasks = [
            group.create_task(worker(queue, fetch, seen, report, max_urls)) for _ in range(workers)
        ]
        await queue.join()
        for task in tasks:
            task.cancel()
    return report
