"""One shared client, but each page awaited before the next is requested.

The code is async, yet nothing overlaps: the crawl takes the sum of the pages' times.
"""

REJECTED_BY = {
    "test_product_pages_are_fetched_concurrently": "wrong_answer",
    "test_crawl_takes_two_round_trips": "wrong_answer",
}


async def crawl(make_client: Callable[[], httpx.AsyncClient], sitemap_url: str) -> dict[str, str]:
    async with make_client() as client:
        urls = parse_sitemap(await fetch_text(client, sitemap_url))
        titles = {}
        for url in urls:
            titles[url] = parse_title(await fetch_text(client, url))
    return titles
