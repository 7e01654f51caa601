"""Fetching the product pages with a bare `gather`: a failing page leaves the others running.

gather raises the first error at once but does not cancel the other fetches: the crawl
returns (and `async with` closes the client) while requests are still in flight on it,
tasks nobody will ever await.
"""

REJECTED_BY = {"test_a_failing_page_stops_the_crawl": "leak"}


async def crawl(make_client: Callable[[], httpx.AsyncClient], sitemap_url: str) -> dict[str, str]:
    async with make_client() as client:
        urls = parse_sitemap(await fetch_text(client, sitemap_url))
        pages = await asyncio.gather(*(fetch_text(client, url) for url in urls))
    return {url: parse_title(html) for url, html in zip(urls, pages, strict=True)}
