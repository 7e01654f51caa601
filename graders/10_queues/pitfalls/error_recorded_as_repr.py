"""Recording a failed page as `repr(exc)` instead of "ExceptionName: message".

`ProbeError('500 Internal Server Error: ...')` names the exception, but not in the format
the report promises: tools that parse `report.errors` split on the first ": ".
"""

REJECTED_BY = {"test_worker_marks_failing_pages_done": "wrong_answer"}


async def worker(
    queue: asyncio.Queue[str], fetch: Fetch, seen: set[str], report: CrawlReport, max_urls: int
) -> None:
    while True:
        url = await queue.get()
        try:
            links = await fetch(url)
        except Exception as exc:
            report.errors[url] = repr(exc)
        else:
            report.pages[url] = links
            for link in links:
                if link not in seen and len(seen) < max_urls:
                    seen.add(link)
                    queue.put_nowait(link)
        finally:
            queue.task_done()
