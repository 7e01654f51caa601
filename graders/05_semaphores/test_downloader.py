"""Grades exercises/05_semaphores/downloader.py: bounded concurrency with a semaphore.

Requirements:
- 1: never more than `limit` requests in flight -> test_never_more_than_limit_at_once
- 1: exactly `limit` in flight while URLs wait (10 x 1 s, limit 3: 4 s) ->
  test_never_more_than_limit_at_once, test_ten_one_second_downloads_take_four_seconds
- 1: a freed slot is reused at once (no batches) -> test_a_free_slot_is_reused_at_once
- 1: fewer URLs than the limit all start together -> test_fewer_urls_than_the_limit_all_start_together
- 1: limit=1 is valid, one request at a time -> test_a_limit_of_one_downloads_one_at_a_time
- 1: a limit below 1 raises ValueError before any request -> test_a_limit_below_one_is_refused
- 2: bodies in the order of `urls`, not of completion -> test_bodies_come_back_in_input_order
- 2: no URLs give [] -> test_no_urls_give_no_bodies
- 3: the DownloadError is raised, alone or in a group -> test_a_failed_download_is_raised
- 3: raised when it happens, no request in flight then (cancelled tasks awaited: the
  engine's check at return), none starting later -> test_a_failure_stops_the_other_downloads
- checks: no task left running, nothing un-awaited, loop never blocked -> test_never_more_than_limit_at_once,
  test_a_failure_stops_the_other_downloads
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest

from katagrader import InFlight, learner_module, leaves, outcome, within

downloader = learner_module("downloader")


class ProbedClient:
    """A client whose requests take a per-URL number of virtual seconds, counted in flight."""

    def __init__(
        self,
        latencies: dict[str, float] | None = None,
        default: float = 1.0,
        broken: frozenset[str] = frozenset(),
    ) -> None:
        self.latencies = latencies or {}
        self.default = default
        self.broken = broken
        self.in_flight = InFlight()
        self.requested: list[str] = []

    async def get(self, url: str) -> bytes:
        self.requested.append(url)
        async with self.in_flight:
            await asyncio.sleep(self.latencies.get(url, self.default))
        if url in self.broken:
            raise downloader.DownloadError(url, 500)
        return body(url)


def body(url: str) -> bytes:
    return f"body of {url}".encode()


def urls(n: int) -> list[str]:
    return [f"https://mirror.example/f{i}" for i in range(n)]


async def timed(seconds: float, awaitable: Awaitable[Any], what: str) -> tuple[Any, float]:
    """Run the learner's call; return its result and the loop time it took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await within(seconds, awaitable, what=what)
    return result, loop.time() - started


# ---------------------------------------------------------------- step 1: the limit


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_never_more_than_limit_at_once() -> None:
    """With 10 URLs and limit 3, exactly 3 requests are in flight at the peak."""
    client = ProbedClient()
    what = "download_all(client, <10 urls>, limit=3)"
    await within(60, downloader.download_all(client, urls(10), 3), what=what)
    peak = client.in_flight.peak
    assert peak <= 3, (
        f"{what} had {peak} requests in flight at once; expected never more than 3. Each "
        "request must hold a slot of an asyncio.Semaphore(limit) while it runs."
    )
    # Advise a cause only when the peak identifies it: 1 means one download at a time.
    why = (
        " One at a time: each download was awaited before the next one was started (for "
        "instance awaited inside the loop that starts them)."
        if peak == 1
        else ""
    )
    assert peak == 3, (
        f"{what} had at most {peak} request(s) in flight; expected exactly 3 while there is "
        "work: start every download at once and let the semaphore hold back the extra ones." + why
    )
    assert sorted(client.requested) == sorted(urls(10)), (
        f"{what} requested {client.requested}; expected each of the 10 URLs once."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_ten_one_second_downloads_take_four_seconds() -> None:
    """10 downloads of 1 s with limit 3 take exactly 4 s of loop time (3 + 3 + 3 + 1)."""
    client = ProbedClient()
    what = "download_all(client, <10 urls of 1 s>, limit=3)"
    _, elapsed = await timed(60, downloader.download_all(client, urls(10), 3), what)
    assert elapsed == pytest.approx(4.0), (
        f"{what} took {elapsed:g} s of loop time; expected 4 s (ten 1 s downloads, three at "
        "a time). 10 s means one at a time, 1 s means the limit was ignored."
        + client.in_flight.timeline(expected="ten 1 s downloads, 3 at a time: 4 s")
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_a_free_slot_is_reused_at_once() -> None:
    """A slow download does not hold back the others: a finished slot is refilled at once."""
    links = urls(9)
    client = ProbedClient({links[0]: 3.0}, default=1.0)
    what = "download_all(client, <one 3 s url then eight 1 s urls>, limit=3)"
    _, elapsed = await timed(60, downloader.download_all(client, links, 3), what)
    if elapsed == pytest.approx(5.0):
        why = (
            "Batches of 3 (gather on urls[0:3], then urls[3:6]...) wait for the slowest of "
            "each batch; a semaphore inside each task hands a slot over as soon as it is free."
        )
    elif elapsed < 4.0:
        why = "Less than 4 s means more than 3 downloads ran at once: the limit was ignored."
    else:
        why = "Start every download at once and let the semaphore hold back the extra ones."
    assert elapsed == pytest.approx(4.0), (
        f"{what} took {elapsed:g} s of loop time; expected 4 s: while the 3 s download runs, "
        f"the two other slots go through the eight 1 s ones. {why}"
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_fewer_urls_than_the_limit_all_start_together() -> None:
    """With 2 URLs and limit 5, both downloads run at once."""
    client = ProbedClient()
    what = "download_all(client, <2 urls>, limit=5)"
    _, elapsed = await timed(60, downloader.download_all(client, urls(2), 5), what)
    assert client.in_flight.peak == 2 and elapsed == pytest.approx(1.0), (
        f"{what} had {client.in_flight.peak} in flight at most and took {elapsed:g} s; "
        "expected both at once, 1 s."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_a_limit_of_one_downloads_one_at_a_time() -> None:
    """limit=1 is valid (the smallest limit): 3 downloads of 1 s run one after another, 3 s."""
    client = ProbedClient()
    what = "download_all(client, <3 urls of 1 s>, limit=1)"
    result, error = await outcome(60, downloader.download_all(client, urls(3), 1), what)
    assert error is None, (
        f"{what} raised {type(error).__name__}: {error}; expected the 3 bodies: 1 is the "
        "smallest valid limit, only a limit below 1 is refused."
    )
    assert list(result) == [body(url) for url in urls(3)] and client.in_flight.peak == 1, (
        f"{what} returned {result!r} with {client.in_flight.peak} request(s) in flight at "
        "most; expected the 3 bodies in order, one request at a time."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_a_limit_below_one_is_refused() -> None:
    """limit=0 raises ValueError at once, before any request."""
    client = ProbedClient()
    what = "download_all(client, <3 urls>, limit=0)"
    result, error = await outcome(5, downloader.download_all(client, urls(3), 0), what)
    assert isinstance(error, ValueError), (
        f"{what} "
        + (f"returned {result!r}" if error is None else f"raised {type(error).__name__}: {error}")
        + "; expected ValueError: with no slot at all nothing could ever be downloaded "
        "(a Semaphore(0) would make every download wait forever)."
    )
    assert client.requested == [], f"{what} made requests {client.requested}; expected none."


# ---------------------------------------------------------------- step 2: order


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_bodies_come_back_in_input_order() -> None:
    """The bodies are in the order of the URLs, although the last URLs finish first."""
    links = urls(6)
    client = ProbedClient({url: 6.0 - i for i, url in enumerate(links)})
    what = "download_all(client, <6 urls, the first slowest>, limit=3)"
    result = await within(60, downloader.download_all(client, links, 3), what=what)
    expected = [body(url) for url in links]
    assert list(result) == expected, (
        f"{what} returned {result!r}; expected the bodies in the order of the URLs, "
        f"{expected!r}. Appending each body when its download finishes gives completion "
        "order: keep the tasks in a list (or use gather) and read the results in order."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_no_urls_give_no_bodies() -> None:
    """An empty list of URLs gives an empty list, at once."""
    client = ProbedClient()
    what = "download_all(client, [], limit=3)"
    result = await within(1, downloader.download_all(client, [], 3), what=what)
    assert list(result) == [], f"{what} returned {result!r}; expected []."


# ---------------------------------------------------------------- step 3: failures


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_a_failed_download_is_raised() -> None:
    """A DownloadError from the client comes out of download_all."""
    links = urls(5)
    client = ProbedClient(broken=frozenset({links[2]}))
    what = f"download_all(client, <5 urls, {links[2]} broken>, limit=2)"
    result, error = await outcome(60, downloader.download_all(client, links, 2), what)
    found = [e for e in leaves(error) if isinstance(e, downloader.DownloadError)] if error else []
    assert found and found[0].url == links[2], (
        f"{what} "
        + (f"returned {result!r}" if error is None else f"raised {type(error).__name__}: {error}")
        + f"; expected the DownloadError for {links[2]} (alone or in an ExceptionGroup)."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_a_failure_stops_the_other_downloads() -> None:
    """When a download fails, no other request is left running or starts afterwards."""
    links = urls(10)
    client = ProbedClient({links[0]: 1.0}, default=2.0, broken=frozenset({links[0]}))
    what = f"download_all(client, <10 urls, {links[0]} fails after 1 s>, limit=3)"
    loop = asyncio.get_running_loop()
    started = loop.time()
    _, error = await outcome(60, downloader.download_all(client, links, 3), what)
    elapsed = loop.time() - started
    still_running = client.in_flight.current
    started_before = client.in_flight.started
    await asyncio.sleep(30)  # would anything still start later?
    started_later = client.in_flight.started - started_before
    assert error is not None, f"{what} returned normally; expected the DownloadError."
    assert still_running == 0 and started_later == 0, (
        f"{what} raised with {still_running} request(s) still in flight, and "
        f"{started_later} more started afterwards; expected every other download stopped "
        "before the error is raised. asyncio.gather leaves the other downloads running when "
        "one fails: a TaskGroup cancels them (including those waiting for the semaphore)."
    )
    assert elapsed == pytest.approx(1.0), (
        f"{what} raised after {elapsed:g} s of loop time; expected 1 s, when the failure "
        "happened (fail fast: do not wait for the other downloads)."
    )
