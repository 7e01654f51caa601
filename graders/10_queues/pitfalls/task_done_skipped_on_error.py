"""Calling `task_done()` at the end of the loop body: a failing page `continue`s past it.

`queue.join()` waits until `task_done()` has been called once per item put on the queue.
The URL whose fetch failed is never marked done, so the count never reaches zero and the
crawl waits forever once the other pages are fetched.
"""

REJECTED_BY = {"test_worker_marks_failing_pages_done": "timeout"}


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
            links = await fetch(url)
        except Exception as exc:
            report.errors[url] = f"{type(exc).__name__}: {exc}"
            continue  # skips the task_done() below
        report.pages[url] = links
        for link in links:
            if link not in seen and len(seen) < max_urls:
                seen.add(link)
                queue.put_nowait(link)
        queue.task_done()
