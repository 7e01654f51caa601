"""A new AsyncClient for every page: concurrent, but every request opens a new connection.

Each client has its own connection pool; throwing it away after one request means a new
TCP and TLS handshake every time, and nothing is ever reused.
"""

REJECTED_BY = {"test_crawl_shares_one_client": "wrong_answer"}


async def crawl(make_client: Callable[[], httpx.AsyncClient], sitemap_url: str) -> dict[str, str]:
    async def get(url: str) -> str:
        async with make_client() as client:
            return await fetch_text(client, url)

    urls = parse_sitemap(await get(sitemap_url))
    pages = await asyncio.gather(*(get(url) for url in urls))
    return {url: parse_title(html) for url, html in zip(urls, pages)}
