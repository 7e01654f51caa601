"""Write the tests for `fetch_all`, a bounded concurrent page fetcher.

`fetch_all(fetch, urls, limit)` below is finished and correct. Your job is the test
suite that proves it: the grader runs your tests against it (they must all pass), then
against broken copies of it (for each one, at least one of your tests must fail). A test
that asserts nothing passes everywhere and catches nothing.

`FakeSite`, the page data and the `site` fixture are written for you. Call the component
by its name, `fetch_all(...)`, inside your tests: the grader swaps in the broken copies by
redefining that name.

1. `no_leaked_tasks`: an async fixture that fails the test if it leaves a task running
   (pyleak's `no_task_leaks`), on the same event loop as the test.
2. `test_returns_pages_in_input_order`: the pages come back in the order of `urls`.
3. `test_never_exceeds_the_limit`: never more than `limit` fetches in flight at once.
4. `test_fills_the_limit`: with enough work, `limit` fetches do run at once.
5. `test_failure_cancels_the_other_fetches`: one failing page raises its `FetchError`
   and leaves no fetch running behind.
6. `test_cancellation_propagates`: cancelling `fetch_all` ends it cancelled.

Run them with `python exercises/27_testing_async/limiter_tests.py`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence

import pytest
import pytest_asyncio
from pyleak import no_task_leaks  # noqa: F401  (step 1 needs it)

# ---------------------------------------------------------------------------------------
# The component under test (finished; do not edit it: the grader replaces it anyway).
# ---------------------------------------------------------------------------------------

Fetch = Callable[[str], Awaitable[bytes]]


class FetchError(Exception):
    """A page could not be fetched."""

    def __init__(self, url: str) -> None:
        super().__init__(f"could not fetch {url}")
        self.url = url


async def fetch_all(fetch: Fetch, urls: Sequence[str], limit: int) -> list[bytes]:
    """Fetch every URL concurrently, with at most `limit` fetches in flight at once.

    Args:
        fetch: the coroutine function that fetches one page.
        urls: the pages to fetch.
        limit: the most fetches in flight at the same time (at least 1).

    Returns:
        The pages, in the order of `urls`.

    Raises:
        ValueError: if `limit` is less than 1.
        FetchError: (or whatever `fetch` raised) for the first page that failed; the
            fetches still running are cancelled first.

    Example:
        >>> site = FakeSite({"/a": b"A", "/b": b"B"})
        >>> asyncio.run(fetch_all(site.fetch, ["/b", "/a"], limit=1))
        [b'B', b'A']
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    semaphore = asyncio.Semaphore(limit)

    async def fetch_one(url: str) -> bytes:
        async with semaphore:
            return await fetch(url)

    tasks = [asyncio.create_task(fetch_one(url)) for url in urls]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        # On an error (or our own cancellation) stop whatever is still running and wait
        # for it, so that nothing outlives this call.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# ---------------------------------------------------------------------------------------
# Test helpers (written for you).
# ---------------------------------------------------------------------------------------


class FakeSite:
    """An in-memory web site to test against, that records how it was called.

    `fetch(url)` answers after `delays[url]` seconds (`default_delay` otherwise). URLs in
    `broken` raise `FetchError`; URLs in `hanging` never answer (they wait an hour).

    Attributes:
        in_flight: fetches running right now.
        peak: the most fetches that were ever in flight at once.
        calls: every URL fetched, in the order the fetches started.
        cancelled: the URLs whose fetch was cancelled.
    """

    def __init__(
        self,
        pages: dict[str, bytes],
        delays: dict[str, float] | None = None,
        *,
        default_delay: float = 0.01,
        broken: Iterable[str] = (),
        hanging: Iterable[str] = (),
    ) -> None:
        self.pages = dict(pages)
        self.delays = dict(delays or {})
        self.default_delay = default_delay
        self.broken = set(broken)
        self.hanging = set(hanging)
        self.in_flight = 0
        self.peak = 0
        self.calls: list[str] = []
        self.cancelled: list[str] = []
        self._moved = asyncio.Event()

    async def fetch(self, url: str) -> bytes:
        """Answer with the page, after its delay."""
        self.calls.append(url)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        self._moved.set()
        try:
            delay = 3600.0 if url in self.hanging else self.delays.get(url, self.default_delay)
            await asyncio.sleep(delay)
            if url in self.broken or url not in self.pages:
                raise FetchError(url)
            return self.pages[url]
        except asyncio.CancelledError:
            self.cancelled.append(url)
            raise
        finally:
            self.in_flight -= 1
            self._moved.set()

    async def until_in_flight(self, count: int) -> None:
        """Wait until at least `count` fetches are in flight at once (no clock involved).

        It waits forever if that never happens: put it under `asyncio.timeout(...)`.
        """
        while self.in_flight < count:
            self._moved.clear()
            await self._moved.wait()


PAGE_URLS = [f"/page/{n}" for n in range(8)]
PAGES = {url: f"<h1>page {n}</h1>".encode() for n, url in enumerate(PAGE_URLS)}
# The later a page is in PAGE_URLS, the sooner it answers: pages finish in the reverse
# of the order they were asked for.
DELAYS = {url: 0.01 * (len(PAGE_URLS) - n) for n, url in enumerate(PAGE_URLS)}
BROKEN_URL = "/broken"  # its fetch raises FetchError after 0.01 s
HANGING_URL = "/hanging"  # its fetch never answers


@pytest.fixture
def site() -> FakeSite:
    """A fresh fake site for each test: PAGES with DELAYS, plus BROKEN_URL and HANGING_URL."""
    return FakeSite(PAGES, DELAYS, broken={BROKEN_URL}, hanging={HANGING_URL})


# Every async test in this file runs on its own, fresh event loop.
pytestmark = pytest.mark.asyncio(loop_scope="function")


# ---------------------------------------------------------------------------------------
# Your tests.
# ---------------------------------------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="function")
async def no_leaked_tasks() -> AsyncIterator[None]:
    """Fail the test that requests it if the test leaves a task running.

    Example:
        >>> async def test_something(no_leaked_tasks: None) -> None: ...
    """
    # TODO: wrap the `yield` in pyleak's `async with no_task_leaks(action="raise"):`.
    raise NotImplementedError("no_leaked_tasks: check for leaked tasks around the test (step 1)")


async def test_returns_pages_in_input_order(site: FakeSite, no_leaked_tasks: None) -> None:
    """The pages come back in the order of `urls`, not in the order they finished."""
    # TODO: fetch PAGE_URLS with a limit and compare the whole list with the expected one.
    raise NotImplementedError("write this test: pages come back in input order (step 2)")


async def test_never_exceeds_the_limit(site: FakeSite, no_leaked_tasks: None) -> None:
    """Never more than `limit` fetches are in flight at once."""
    # TODO: fetch the pages with a limit, then ask the fake how many ran at once.
    raise NotImplementedError("write this test: never more than limit in flight (step 3)")


async def test_fills_the_limit(site: FakeSite, no_leaked_tasks: None) -> None:
    """With more pages than `limit`, `limit` fetches do run at the same time."""
    # TODO: start fetch_all as a task, wait (with a timeout) until `limit` fetches are in
    # flight, then finish the task.
    raise NotImplementedError("write this test: limit fetches run at once (step 4)")


async def test_failure_cancels_the_other_fetches(site: FakeSite, no_leaked_tasks: None) -> None:
    """A failing page raises its FetchError, and the fetches still running are stopped."""
    # TODO: fetch BROKEN_URL together with a page still in flight when it fails.
    raise NotImplementedError("write this test: a failure stops the other fetches (step 5)")


async def test_cancellation_propagates(site: FakeSite, no_leaked_tasks: None) -> None:
    """Cancelling fetch_all ends it with CancelledError, not with a normal return."""
    # TODO: start fetch_all as a task, wait until it is fetching, cancel it, check how it ended.
    raise NotImplementedError("write this test: cancellation comes back out (step 6)")


if __name__ == "__main__":
    # --noconftest: run these tests on their own, in pytest-asyncio's strict mode, as the
    # grader does (not under the repository's grading plugin).
    sys.exit(
        pytest.main(
            [
                __file__,
                "-q",
                "--noconftest",
                "-o",
                "asyncio_mode=strict",
                "-W",
                "ignore::pytest.PytestAssertRewriteWarning",
            ]
        )
    )
