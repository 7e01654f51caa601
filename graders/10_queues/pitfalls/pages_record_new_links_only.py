"""Recording in report.pages only the links this page queued, not all its links.

The crawl itself is right (the same pages fetched, once each), but a page whose links
were already seen, or came after the URL limit, is reported with fewer links than it has,
or none: report.pages[url] is what the page links to, and `seen` decides only what to fetch.
"""

REJECTED_BY = {"test_worker_finds_every_reachable_page": "wrong_answer"}


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
        else:
            queued = []
            for link in links:
                if link not in seen and len(seen) < max_urls:
                    seen.add(link)
                    queue.put_nowait(link)
                    queued.append(link)
            report.pages[url] = queued  # only the new links
        finally:
            queue.task_done()
