"""Catching `BaseException` around the fetch: a cancellation is recorded as a page error.

CancelledError is a BaseException, not an Exception, precisely so that `except Exception`
lets it through. Caught here, a cancelled worker writes "CancelledError: " into
report.errors for a page that never failed, marks it done, and goes back to
`queue.get()`: the cancel is swallowed, and crawl() waits for a worker that does not stop.
"""

REJECTED_BY = {"test_worker_cancelled_while_fetching_ends_cancelled": "wrong_answer"}


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
        except BaseException as exc:  # "catch everything, a crawler must never crash"
            report.errors[url] = f"{type(exc).__name__}: {exc}"
        else:
            report.pages[url] = links
            for link in links:
                if link not in seen and len(seen) < max_urls:
                    seen.add(link)
                    queue.put_nowait(link)
        finally:
            queue.task_done()
