"""Find out why a crawler is slow, then fix it: one client, concurrent requests, no blocking.

`slow_crawl` below works, and is slow for three reasons that often come together: it opens a
new HTTP client (a new connection pool) for every page, it awaits the pages one after
another, and when the shop answers "429 Too Many Requests" it waits with `time.sleep`,
which freezes the whole event loop. A profiler shows where the time goes.

1. `fetch_text`: GET a page with the client it is given; on a 429, wait `Retry-After`
   seconds without blocking the loop and try again (3 attempts in all).
2. `crawl`: one shared client for the whole crawl; the product pages fetched concurrently.
3. `profile_call`: run a function under cProfile and return its `pstats.Stats`.
4. `find_bottleneck`: which of some functions took the most cumulative time.
"""

from __future__ import annotations

import asyncio
import cProfile  # noqa: F401  (you need it in step 3)
import pstats
import re
import time
from collections.abc import Callable, Iterable

import httpx

SHOP_URL = "https://shop.example"
MAX_ATTEMPTS = 3  # requests per page at most when the shop keeps answering 429


# ---- written for you: the fake shop and the page parsers ----------------------------------


class FakeShop:
    """An in-memory shop served through `httpx.MockTransport`.

    Every response takes `latency` seconds; each new connection takes `handshake` seconds
    more (a client reuses its idle connections, a new client has none). The first request
    for each page in `rate_limited` is answered 429 with `Retry-After: 1`.
    """

    def __init__(
        self,
        products: int = 8,
        latency: float = 0.1,
        handshake: float = 0.2,
        rate_limited: Iterable[str] = ("/products/3",),
    ) -> None:
        self.latency = latency
        self.handshake = handshake
        self.rate_limited = set(rate_limited)
        self.pages = {
            f"/products/{n}": f"<html><head><title>Product {n}</title></head></html>"
            for n in range(1, products + 1)
        }
        self.pages["/sitemap.txt"] = "\n".join(
            f"{SHOP_URL}/products/{n}" for n in range(1, products + 1)
        )

    def make_client(self) -> httpx.AsyncClient:
        """A new client, with its own (empty) pool of connections to the shop."""
        idle = 0

        async def handle(request: httpx.Request) -> httpx.Response:
            nonlocal idle
            if idle:
                idle -= 1
            else:
                await asyncio.sleep(self.handshake)  # a new TCP + TLS connection
            await asyncio.sleep(self.latency)
            idle += 1
            path = request.url.path
            if path in self.rate_limited:
                self.rate_limited.discard(path)
                return httpx.Response(429, headers={"Retry-After": "1"})
            if path not in self.pages:
                return httpx.Response(404)
            return httpx.Response(200, content=self.pages[path].encode())

        return httpx.AsyncClient(transport=httpx.MockTransport(handle))


def parse_sitemap(text: str) -> list[str]:
    """The URLs of a plain-text sitemap, one per line."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def parse_title(html: str) -> str:
    """The page's <title>, or '' if it has none."""
    match = re.search(r"<title>(.*?)</title>", html, re.IGNORECASE | re.DOTALL)
    return match.group(1).strip() if match else ""


async def fetch_text_slowly(client: httpx.AsyncClient, url: str) -> str:
    """The slow version of `fetch_text`: it blocks the loop while rate-limited."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        response = await client.get(url)
        if response.status_code == 429 and attempt < MAX_ATTEMPTS:
            time.sleep(float(response.headers.get("Retry-After", "1")))  # noqa: ASYNC251
            continue
        response.raise_for_status()
        return response.text
    raise AssertionError("unreachable")


async def slow_crawl(
    make_client: Callable[[], httpx.AsyncClient], sitemap_url: str
) -> dict[str, str]:
    """The crawler to fix: a client per page, one page after another, a blocking wait."""
    async with make_client() as client:
        urls = parse_sitemap(await fetch_text_slowly(client, sitemap_url))
    titles = {}
    for url in urls:
        async with make_client() as client:
            titles[url] = parse_title(await fetch_text_slowly(client, url))
    return titles


# ---- your part ----------------------------------------------------------------------------


async def fetch_text(client: httpx.AsyncClient, url: str) -> str:
    """GET `url` and return the body, waiting politely (and without blocking) when rate-limited.

    Args:
        client: the shared client to send the request with.
        url: the page.

    Returns:
        The response body as text.

    Raises:
        httpx.HTTPStatusError: for an error status, including a 429 on the last attempt.

    Example:
        >>> async def demo() -> str:
        ...     async with FakeShop(latency=0, handshake=0).make_client() as client:
        ...         return await fetch_text(client, f"{SHOP_URL}/products/1")
        >>> parse_title(asyncio.run(demo()))
        'Product 1'
    """
    # TODO: like fetch_text_slowly, but wait for Retry-After without blocking the loop.
    raise NotImplementedError("fetch_text: wait for Retry-After without blocking (step 1)")


async def crawl(make_client: Callable[[], httpx.AsyncClient], sitemap_url: str) -> dict[str, str]:
    """Fetch the sitemap, then every product page concurrently, with one client.

    Args:
        make_client: creates an `httpx.AsyncClient`; call it once.
        sitemap_url: the plain-text sitemap listing the product pages.

    Returns:
        `{product url: page title}`, in sitemap order.

    Raises:
        httpx.HTTPStatusError: a page could not be fetched (inside an ExceptionGroup when
            a TaskGroup runs the fetches); the other fetches are stopped first.

    Example:
        >>> shop = FakeShop(products=2, latency=0, handshake=0)
        >>> asyncio.run(crawl(shop.make_client, f"{SHOP_URL}/sitemap.txt"))
        {'https://shop.example/products/1': 'Product 1', 'https://shop.example/products/2': 'Product 2'}
    """
    # TODO: one client for the whole crawl; fetch the product pages concurrently.
    raise NotImplementedError("crawl: one shared client, pages fetched concurrently (step 2)")


def profile_call(
    func: Callable[[], object], *, timer: Callable[[], float] | None = None
) -> pstats.Stats:
    """Run `func()` under cProfile and return the statistics.

    Args:
        func: what to profile, e.g. `lambda: asyncio.run(slow_crawl(...))`.
        timer: the clock the profiler reads; None for cProfile's default. (The grader
            passes a fake clock so the numbers are exact.)

    Returns:
        The `pstats.Stats` of that one call.

    Example:
        >>> stats = profile_call(lambda: sorted(range(10)))
        >>> any(name == "<built-in method builtins.sorted>" for _, _, name in stats.stats)
        True
    """
    # TODO: make a cProfile.Profile (with `timer` when given), run func under it, and
    # return pstats.Stats built from it.
    raise NotImplementedError("profile_call: run func under cProfile (step 3)")


def find_bottleneck(stats: pstats.Stats, candidates: Iterable[str]) -> str:
    """The candidate function with the largest cumulative time.

    A candidate is a function name as the profile records it: `fetch_text`, or
    `<built-in method time.sleep>`. Functions that share a name (methods of two classes)
    are added up; a candidate that was never called counts as 0 s; on a tie, the first
    candidate wins.

    Args:
        stats: a profile, as `profile_call` returns it.
        candidates: the function names to compare.

    Returns:
        The name among `candidates` with the most cumulative time.

    Raises:
        ValueError: `candidates` is empty.

    Example:
        >>> stats = profile_call(lambda: sorted(range(10)))
        >>> find_bottleneck(stats, ["<lambda>", "<built-in method builtins.sorted>"])
        '<lambda>'
    """
    # TODO: add up the cumulative time of each candidate name in stats.stats and return
    # the name with the most.
    raise NotImplementedError("find_bottleneck: compare cumulative times (step 4)")


async def main() -> None:
    shop = FakeShop()
    loop = asyncio.get_running_loop()
    started = loop.time()
    titles = await crawl(shop.make_client, f"{SHOP_URL}/sitemap.txt")
    print(f"crawl: {len(titles)} pages in {loop.time() - started:.2f} s")


def profile_the_slow_crawler() -> None:
    shop = FakeShop()
    stats = profile_call(
        lambda: asyncio.run(slow_crawl(shop.make_client, f"{SHOP_URL}/sitemap.txt"))
    )
    stats.sort_stats("cumulative").print_stats(12)
    # Time spent awaiting is charged to the selector's wait (epoll on Linux, kqueue on
    # macOS...); blocking shows up as itself.
    waiting = sorted({name for _, _, name in stats.stats if "select." in name})  # type: ignore[attr-defined]
    suspects = ["<built-in method time.sleep>", "parse_title", *waiting]
    print("bottleneck:", find_bottleneck(stats, suspects))


if __name__ == "__main__":
    asyncio.run(main())  # steps 1-2
    profile_the_slow_crawler()  # steps 3-4
