"""Grades exercises/09_slow_code/crawler.py: one client, concurrent pages, no blocking,
and reading a profile.

Requirements:
- 1: fetch_text returns response.text after one request -> test_fetch_text_returns_the_page_body
- 1: any other error status raises HTTPStatusError after one request (404, 500 counted)
  -> test_http_errors_are_raised_at_once
- 1: a 429 is retried Retry-After seconds of loop time later, without blocking the loop
  -> test_rate_limited_request_waits_retry_after
- 1: at most MAX_ATTEMPTS requests; the last 429 is raised at once
  -> test_rate_limit_gives_up_after_three_attempts
- 2: every title, in sitemap order, a rate-limited page retried -> test_crawl_returns_every_title
- 2: make_client() called once and that client closed -> test_crawl_shares_one_client
- 2: the product pages fetched concurrently, in 0.6 s of loop time
  -> test_product_pages_are_fetched_concurrently, test_crawl_takes_two_round_trips
- 2: a failing page is raised with the client closed and nothing left running
  -> test_a_failing_page_stops_the_crawl
- 3: profile_call runs func under cProfile.Profile(timer) and returns its pstats.Stats
  -> test_profile_records_calls_and_times
- 4: the largest cumulative (not own) time wins -> test_bottleneck_is_largest_cumulative_time
- 4: entries sharing a name add up, and only those (names compared whole)
  -> test_same_named_functions_add_up
- 4: built-ins by their profile name; a name never called counts 0
  -> test_builtins_are_named_as_in_the_profile, test_a_tie_goes_to_the_first_candidate
- 4: ties go to the first candidate -> test_a_tie_goes_to_the_first_candidate
- 4: no candidates raises ValueError -> test_no_candidates_is_an_error
- checks: the loop never blocked, no task or client left running
  -> test_crawl_returns_every_title, test_a_failing_page_stops_the_crawl
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
from collections.abc import Callable, Iterable

import httpx
import pytest

from katagrader import InFlight, learner_module, leaves, outcome, within

crawler = learner_module("crawler")

SHOP = "https://shop.example"
LATENCY = 0.1  # seconds per response
HANDSHAKE = 0.2  # seconds to open a new connection


class ProbedTransport(httpx.MockTransport):
    """A client's transport that tells the shop when the client is closed."""

    def __init__(self, handler: Callable[[httpx.Request], object], on_close: Callable[[], None]):
        super().__init__(handler)  # type: ignore[arg-type]
        self._on_close = on_close

    async def aclose(self) -> None:
        self._on_close()


class ProbedShop:
    """A fake shop that counts clients, connections and requests in flight.

    Each client gets its own pool: a request reuses an idle connection of its client or
    opens a new one (HANDSHAKE s); every response takes LATENCY s. Paths in
    `rate_limited` answer 429 (Retry-After: `retry_after`) that many times first.
    """

    def __init__(
        self,
        products: int = 8,
        rate_limited: dict[str, int] | None = None,
        retry_after: int = 1,
        statuses: dict[str, int] | None = None,
    ) -> None:
        self.urls = [f"{SHOP}/products/{n}" for n in range(1, products + 1)]
        self.pages = {
            f"/products/{n}": f"<html><head><title>Item {n * 11}</title></head></html>"
            for n in range(1, products + 1)
        }
        self.pages["/sitemap.txt"] = "\n".join(self.urls) + "\n"
        self.rate_limited = dict(rate_limited or {})
        self.retry_after = retry_after
        self.statuses = dict(statuses or {})  # paths that always answer this error status
        self.clients_made = 0
        self.clients_closed = 0
        self.connections_opened = 0
        self.in_flight = InFlight()
        self.requests: list[tuple[float, str]] = []

    def expected_titles(self) -> dict[str, str]:
        return {url: f"Item {n * 11}" for n, url in enumerate(self.urls, start=1)}

    def make_client(self) -> httpx.AsyncClient:
        self.clients_made += 1
        idle = 0

        async def handle(request: httpx.Request) -> httpx.Response:
            nonlocal idle
            loop = asyncio.get_running_loop()
            self.requests.append((loop.time(), request.url.path))
            async with self.in_flight:
                if idle:
                    idle -= 1
                else:
                    self.connections_opened += 1
                    await asyncio.sleep(HANDSHAKE)
                await asyncio.sleep(LATENCY)
                idle += 1
            path = request.url.path
            if self.rate_limited.get(path, 0) > 0:
                self.rate_limited[path] -= 1
                return httpx.Response(429, headers={"Retry-After": str(self.retry_after)})
            if path in self.statuses:
                return httpx.Response(self.statuses[path], content=b"server error")
            if path not in self.pages:
                return httpx.Response(404, content=b"not found")
            return httpx.Response(
                200,
                content=self.pages[path].encode(),
                headers={"content-type": "text/html; charset=utf-8"},
            )

        def closed() -> None:
            self.clients_closed += 1

        return httpx.AsyncClient(transport=ProbedTransport(handle, closed))

    def times_of(self, path: str) -> list[float]:
        return [t for t, p in self.requests if p == path]


# ---- step 1: fetch_text -------------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_fetch_text_returns_the_page_body() -> None:
    """fetch_text returns the body of a 200 response, after one request."""
    shop = ProbedShop()
    async with shop.make_client() as client:
        text = await within(
            5, crawler.fetch_text(client, f"{SHOP}/products/2"), what="fetch_text(client, url)"
        )
    assert text == shop.pages["/products/2"], (
        f"fetch_text(client, '{SHOP}/products/2') returned {text!r}; expected the page body "
        f"{shop.pages['/products/2']!r} (response.text)."
    )
    assert len(shop.requests) == 1, f"the shop got {len(shop.requests)} requests; expected 1."


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_http_errors_are_raised_at_once() -> None:
    """fetch_text raises httpx.HTTPStatusError for a 404 or a 500 after one request: only a
    429 is retried."""
    for path, status in (("/nope", 404), ("/products/2", 500)):
        shop = ProbedShop(statuses={"/products/2": 500})
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with shop.make_client() as client:
            what = f"fetch_text(client, {path!r})"
            text, error = await outcome(30, crawler.fetch_text(client, SHOP + path), what)
        tries = len(shop.times_of(path))
        elapsed = loop.time() - started
        assert isinstance(error, httpx.HTTPStatusError), (
            f"{what} answered {status} "
            + (f"raised {error!r}" if error else f"returned {text!r}")
            + "; expected httpx.HTTPStatusError (response.raise_for_status())."
        )
        assert error.response.status_code == status, f"raised for {error.response.status_code}."
        assert tries == 1, (
            f"{what} answered {status} sent {tries} requests over {elapsed:g} s before raising; "
            f"expected 1: only a 429 (Too Many Requests) is worth retrying. A {status} will "
            "not change on a retry; retrying it costs the shop requests and the crawl time. "
            "Raise at once for any other error status (response.raise_for_status())."
        )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_rate_limited_request_waits_retry_after() -> None:
    """After a 429, fetch_text waits Retry-After seconds of loop time, then retries."""
    shop = ProbedShop(rate_limited={"/products/1": 1}, retry_after=1)
    async with shop.make_client() as client:
        text = await within(
            10, crawler.fetch_text(client, f"{SHOP}/products/1"), what="fetch_text(client, url)"
        )
    assert text == shop.pages["/products/1"], (
        f"fetch_text returned {text!r} after one 429; expected the page, fetched again."
    )
    times = shop.times_of("/products/1")
    assert len(times) == 2, (
        f"the page was requested {len(times)} times; expected 2 (a 429, then the retry)."
    )
    gap = times[1] - times[0]
    assert gap == pytest.approx(HANDSHAKE + LATENCY + 1.0), (
        f"the retry was sent {gap:g} s of loop time after the first request; expected "
        f"{HANDSHAKE + LATENCY + 1.0:g} s (the first response, then Retry-After: 1). Less than "
        "that means the wait did not let the event loop run: `time.sleep()` freezes every "
        "task; `await asyncio.sleep()` waits while the others go on."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_rate_limit_gives_up_after_three_attempts() -> None:
    """A page that keeps answering 429 is requested 3 times, then HTTPStatusError is raised."""
    shop = ProbedShop(rate_limited={"/products/4": 10}, retry_after=2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with shop.make_client() as client:
        try:
            text = await within(
                30, crawler.fetch_text(client, f"{SHOP}/products/4"), what="fetch_text(...)"
            )
        except httpx.HTTPStatusError as exc:
            elapsed = loop.time() - started
            tries = len(shop.times_of("/products/4"))
            assert exc.response.status_code == 429 and tries == 3, (
                f"fetch_text raised for status {exc.response.status_code} after {tries} "
                "requests; expected the 429 raised after 3 requests (MAX_ATTEMPTS)."
            )
            assert elapsed == pytest.approx(HANDSHAKE + 3 * LATENCY + 2 * 2), (
                f"fetch_text gave up after {elapsed:g} s; expected "
                f"{HANDSHAKE + 3 * LATENCY + 4:g} s: wait Retry-After (2 s) after the first two "
                "429s only, and raise at once after the last."
            )
            return
    raise AssertionError(f"fetch_text returned {text!r} although every answer was 429.")


# ---- step 2: crawl ------------------------------------------------------------------------


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_crawl_returns_every_title() -> None:
    """crawl maps every product URL of the sitemap to its title, in sitemap order."""
    shop = ProbedShop(rate_limited={"/products/3": 1}, retry_after=1)
    titles = await within(
        20, crawler.crawl(shop.make_client, f"{SHOP}/sitemap.txt"), what="crawl(make_client, url)"
    )
    expected = shop.expected_titles()
    assert dict(titles) == expected, (
        f"crawl(...) returned {titles!r}; expected {expected!r} (one title per sitemap URL; "
        "one of them is rate-limited once and must be retried)."
    )
    assert list(titles) == list(expected), (
        f"crawl(...) returned the pages in the order {list(titles)}; expected sitemap order."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_crawl_shares_one_client() -> None:
    """crawl creates exactly one client for the whole crawl, and closes it."""
    shop = ProbedShop()
    await within(20, crawler.crawl(shop.make_client, f"{SHOP}/sitemap.txt"), what="crawl(...)")
    assert shop.clients_made == 1, (
        f"crawl(...) called make_client() {shop.clients_made} times for 9 requests; expected "
        f"once. Each client has its own connection pool: a client per request opened "
        f"{shop.connections_opened} connections, each with its own handshake. Create one "
        "client (`async with make_client() as client:`) and pass it to every fetch."
    )
    assert shop.clients_closed == 1, (
        f"the client was closed {shop.clients_closed} times; expected once, at the end "
        "(use `async with make_client() as client:`)."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_a_failing_page_stops_the_crawl() -> None:
    """A product page that cannot be fetched makes crawl raise its HTTPStatusError (bare or in
    an ExceptionGroup), with the client closed and no other request left running."""
    shop = ProbedShop(products=8, rate_limited={"/products/5": 1}, statuses={"/products/2": 500})
    what = "crawl(make_client, url) with /products/2 answering 500"
    # within() also checks, the instant crawl() returns, that no task it started still runs.
    titles, error = await outcome(20, crawler.crawl(shop.make_client, f"{SHOP}/sitemap.txt"), what)
    assert error is not None, (
        f"{what} returned {titles!r}; expected it to raise the page's httpx.HTTPStatusError."
    )
    found = leaves(error)
    assert all(isinstance(e, httpx.HTTPStatusError) for e in found), (
        f"{what} raised {error!r}; expected httpx.HTTPStatusError (alone, or the only kind in "
        "a TaskGroup's ExceptionGroup)."
    )
    assert shop.clients_closed == shop.clients_made == 1, (
        f"after {what} raised, {shop.clients_closed} of {shop.clients_made} client(s) were "
        "closed; expected the one client closed on the error path too (`async with`)."
    )
    assert shop.in_flight.current == 0, (
        f"{what} raised while {shop.in_flight.current} request(s) were still in flight on the "
        "client it had just closed; expected none: when one page fails, stop the others (a "
        "TaskGroup cancels them and waits; a bare gather leaves them running)."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_product_pages_are_fetched_concurrently() -> None:
    """All 8 product pages are in flight at the same time."""
    shop = ProbedShop(products=8)
    await within(20, crawler.crawl(shop.make_client, f"{SHOP}/sitemap.txt"), what="crawl(...)")
    assert shop.in_flight.peak == 8, (
        f"at most {shop.in_flight.peak} request(s) were in flight at once; expected the 8 "
        "product pages together. Awaiting each page before requesting the next is what makes "
        "async code slow: start them all (asyncio.gather or a TaskGroup), then wait."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_crawl_takes_two_round_trips() -> None:
    """With one client and concurrent pages, the crawl takes 0.6 s of loop time."""
    shop = ProbedShop(products=8)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await within(20, crawler.crawl(shop.make_client, f"{SHOP}/sitemap.txt"), what="crawl(...)")
    elapsed = loop.time() - started
    expected = 2 * (HANDSHAKE + LATENCY)
    assert elapsed == pytest.approx(expected), (
        f"crawl(...) took {elapsed:g} s of loop time; expected {expected:g} s: the sitemap "
        f"(connect {HANDSHAKE:g} s + {LATENCY:g} s), then all products at once (same again). "
        "One page after another takes 0.3 + 8 x 0.1 = 1.1 s or more."
    )


# ---- step 3: profile_call -----------------------------------------------------------------


class FakeClock:
    """A profiler clock that moves only when the profiled code adds to `now`."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _parse(clock: FakeClock) -> None:
    clock.now += 1.0


def _download(clock: FakeClock) -> None:
    clock.now += 3.0
    _parse(clock)


def _crawl_site(clock: FakeClock) -> None:
    clock.now += 0.5
    for _ in range(3):
        _download(clock)


def _find(stats: pstats.Stats, name: str) -> tuple[int, float, float] | None:
    for (_, _, func), (_cc, nc, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        if func == name:
            return nc, tt, ct
    return None


@pytest.mark.task(3)
def test_profile_records_calls_and_times() -> None:
    """profile_call runs the function under cProfile with the given timer and returns its Stats."""
    clock = FakeClock()
    stats = crawler.profile_call(lambda: _crawl_site(clock), timer=clock)
    assert isinstance(stats, pstats.Stats), (
        f"profile_call(...) returned {type(stats).__name__}; expected a pstats.Stats "
        "(pstats.Stats(profiler))."
    )
    got = {name: _find(stats, name) for name in ("_crawl_site", "_download", "_parse")}
    expected = {"_crawl_site": (1, 0.5, 12.5), "_download": (3, 9.0, 12.0), "_parse": (3, 3.0, 3.0)}
    for name, want in expected.items():
        have = got[name]
        assert have is not None, (
            f"the profile has no entry for {name}; profile_call must run func() while the "
            "profiler is enabled (profiler.runcall(func), or enable()/disable() around it)."
        )
        assert have[0] == want[0] and have[1:] == pytest.approx(want[1:]), (
            f"the profile says {name}: {have[0]} calls, own {have[1]:g}, cumulative {have[2]:g}; "
            f"expected {want[0]} calls, own {want[1]:g}, cumulative {want[2]:g}. Was the "
            "profiler created with the given timer, cProfile.Profile(timer)?"
        )


# ---- step 4: find_bottleneck --------------------------------------------------------------


def _profile(func: Callable[[], object], clock: FakeClock) -> pstats.Stats:
    profiler = cProfile.Profile(clock)
    profiler.runcall(func)
    return pstats.Stats(profiler)


def _bottleneck(stats: pstats.Stats, candidates: Iterable[str]) -> str:
    return str(crawler.find_bottleneck(stats, list(candidates)))


def _lonely(clock: FakeClock) -> None:
    clock.now += 4.0


@pytest.mark.task(4)
def test_bottleneck_is_largest_cumulative_time() -> None:
    """The winner is the candidate with the most cumulative time, not the most own time."""
    clock = FakeClock()

    def workload() -> None:
        _crawl_site(clock)  # own 0.5 s, cumulative 12.5 s
        for _ in range(3):
            _lonely(clock)  # own and cumulative 12 s

    stats = _profile(workload, clock)
    candidates = ["_lonely", "_parse", "_crawl_site"]
    got = _bottleneck(stats, candidates)
    assert got == "_crawl_site", (
        f"find_bottleneck(stats, {candidates}) returned {got!r}; expected '_crawl_site' "
        "(cumulative 12.5 s, against 12 s for _lonely and 3 s for _parse). Own time (tottime) "
        "leaves out what a function calls; compare the cumulative time (ct), the fourth "
        "number of each stats.stats entry."
    )


@pytest.mark.task(4)
def test_same_named_functions_add_up() -> None:
    """Profiled functions that share a name count together."""
    clock = FakeClock()

    class Html:
        def parse(self) -> None:
            clock.now += 2.5

    class Json:
        def parse(self) -> None:
            clock.now += 2.5

    def workload() -> None:
        Html().parse()
        Json().parse()
        _download(clock)  # 4 s cumulative (it calls _parse)

    stats = _profile(workload, clock)
    got = _bottleneck(stats, ["_download", "parse"])
    assert got == "parse", (
        f"find_bottleneck(stats, ['_download', 'parse']) returned {got!r}; expected 'parse': "
        "Html.parse and Json.parse took 2.5 s each, 5 s together, against 4 s for _download. "
        "The profile records both under the name 'parse' (two entries, one per file/line): "
        "add up the cumulative times of every entry with the candidate's name."
    )

    def lookalikes() -> None:
        Html().parse()  # parse: 2.5 s
        for _ in range(3):
            _parse(clock)  # _parse: 3 s, a different name that contains "parse"
        _lonely(clock)  # 4 s

    stats = _profile(lookalikes, clock)
    got = _bottleneck(stats, ["parse", "_lonely"])
    assert got == "_lonely", (
        f"find_bottleneck(stats, ['parse', '_lonely']) returned {got!r}; expected '_lonely' "
        "(4 s, against 2.5 s for parse). _parse (3 s) is another function: compare names "
        "with ==, not `in` (a substring) or endswith."
    )


@pytest.mark.task(4)
def test_builtins_are_named_as_in_the_profile() -> None:
    """A built-in candidate is matched by its profile name, e.g. '<built-in method builtins.sorted>'."""
    clock = FakeClock()

    def slow_key(n: int) -> int:
        clock.now += 1.0
        return -n

    def workload() -> None:
        sorted(range(5), key=slow_key)  # 5 s, all inside the built-in sorted()
        _parse(clock)

    stats = _profile(workload, clock)
    name = "<built-in method builtins.sorted>"
    got = _bottleneck(stats, ["_parse", name, "never_called"])
    assert got == name, (
        f"find_bottleneck(stats, ['_parse', {name!r}, 'never_called']) returned {got!r}; "
        f"expected {name!r} (5 s cumulative). Compare each candidate with the third element of "
        "the stats.stats keys (file, line, function name); a name never called counts as 0 s."
    )


@pytest.mark.task(4)
def test_a_tie_goes_to_the_first_candidate() -> None:
    """Candidates with the same cumulative time: the first one listed wins."""
    clock = FakeClock()

    def workload() -> None:
        _lonely(clock)  # _lonely: 4 s
        for _ in range(4):
            _parse(clock)  # _parse: 4 s in all; "never_called" and "also_never": 0 s each

    stats = _profile(workload, clock)
    orders = (["_parse", "_lonely"], ["_lonely", "_parse"], ["never_called", "also_never"])
    got = [_bottleneck(stats, candidates) for candidates in orders]
    assert got == ["_parse", "_lonely", "never_called"], (
        f"find_bottleneck gave {got} for the candidates {list(orders)}; expected ['_parse', "
        "'_lonely', 'never_called']: _parse and _lonely took 4 s each and two names never "
        "called 0 s each, so each time the first one listed wins. max(candidates, key=...) "
        "keeps the first of equal maxima; a `>=` comparison, or sorting and taking the last, "
        "keeps the last."
    )


@pytest.mark.task(4)
def test_no_candidates_is_an_error() -> None:
    """find_bottleneck with no candidates raises ValueError."""
    clock = FakeClock()
    stats = _profile(lambda: _parse(clock), clock)
    try:
        got = crawler.find_bottleneck(stats, [])
    except ValueError:
        return
    raise AssertionError(
        f"find_bottleneck(stats, []) returned {got!r}; expected ValueError: with no "
        "candidates there is no answer."
    )
