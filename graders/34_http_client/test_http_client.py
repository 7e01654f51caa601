"""Grades exercises/34_http_client/http_client.py: an httpx client with a timeout per phase
and a bounded pool, and retries of overloaded answers done right.

Step 1's pool is graded against a real HTTP server on 127.0.0.1 that holds its answers
until the test releases them and counts the connections it accepts: a missing limit shows
as a third connection, a missing pool timeout as a request that waits on. Step 2 runs on
the fake loop clock (looptime) against an `httpx.MockTransport` that logs when each request
arrived, so every wait is exact; its jitter comes from a seeded `random.Random` that the
grader replays.

Requirements:
- 1: a timeout per phase, the pool timeout as given -> test_client_has_a_timeout_per_phase
- 1: at most max_connections connections; a request finding none free raises PoolTimeout
  -> test_a_full_pool_raises_pool_timeout
- 1: the base URL is used for relative URLs -> test_relative_urls_go_to_the_base_url
- 1: max_keepalive_connections=max_connections -> not graded: httpx's
  Limits(max_connections=n) leaves it None, which httpcore caps at n: the same pool, so no
  behaviour tells the two apart, and the client has no public attribute for its limits
- 2: a 503 or 429 to a GET is retried after Retry-After seconds -> test_retry_after_is_obeyed
- 2: without Retry-After, the n-th backoff is base_delay * 2**(n-1) * rng.uniform(0.5, 1.5) -> test_backoff_is_exponential_with_jitter
- 2: n counts every attempt, those answered with Retry-After too -> test_backoff_counts_every_attempt
- 2: one rng.uniform per backoff wait, none for a Retry-After wait -> test_retry_after_waits_draw_no_jitter
- 2: at most max_attempts requests; the last response is returned -> test_attempts_are_bounded_and_the_last_answer_returned
- 2: no wait after the last attempt: the call returns when the last answer comes
  -> test_the_last_answer_is_returned_without_waiting
- 2: a non-idempotent method is never retried -> test_post_is_never_retried
- 2: other error statuses are not retried -> test_other_statuses_are_not_retried
- 2: every idempotent method is retried -> test_every_idempotent_method_is_retried
- checks: no task left running, no blocked loop -> test_a_full_pool_raises_pool_timeout, test_retry_after_is_obeyed
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from katagrader import learner_module, within

hc = learner_module("http_client")


async def made(*args: Any, **kwargs: Any) -> Any:
    """hc.make_client(...): a plain call, as the learner's code makes it."""
    return hc.make_client(*args, **kwargs)


# Building an httpx client loads the CA certificates and imports httpcore's modules the
# first time (tens of milliseconds, far more on a loaded machine): done once here, before
# any test, so that only the learner's own work is watched for blocking. The threshold
# is raised to 1 s for the same reason: each client still builds its SSL context.
httpx.AsyncClient()
pytestmark = pytest.mark.leaks(blocking_threshold=1.0)


# Step 1 --------------------------------------------------------------------------------


@pytest.mark.task(1)
async def test_client_has_a_timeout_per_phase() -> None:
    """The client's timeout is connect=2, read=10, write=10 and pool as given."""
    client = await made("http://127.0.0.1:9", max_connections=3, pool_timeout=0.75)
    async with client:
        got = client.timeout
    expected = httpx.Timeout(connect=2.0, read=10.0, write=10.0, pool=0.75)
    assert got == expected, (
        f"make_client(..., pool_timeout=0.75) gave a client with {got!r}; expected "
        f"{expected!r}: pass httpx.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, "
        "write=WRITE_TIMEOUT, pool=pool_timeout) as timeout=."
    )


class HoldingServer:
    """An HTTP/1.1 server on 127.0.0.1 that answers 200 only once `release` is set, and
    counts the connections it accepted."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.connections = 0
        self.requests = 0
        self.server: asyncio.Server | None = None
        self.handlers: set[asyncio.Task[None]] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    break
                self.requests += 1
                await self.release.wait()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self.handlers.discard(task)

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"


@asynccontextmanager
async def holding_server() -> AsyncIterator[HoldingServer]:
    probe = HoldingServer()
    probe.server = await asyncio.start_server(probe.handle, "127.0.0.1", 0)
    try:
        yield probe
    finally:
        probe.release.set()
        probe.server.close()
        for task in list(probe.handlers):
            task.cancel()
        await asyncio.gather(*probe.handlers, return_exceptions=True)
        await probe.server.wait_closed()


@pytest.mark.task(1)
async def test_a_full_pool_raises_pool_timeout() -> None:
    """With max_connections=2 and both busy, a third request raises httpx.PoolTimeout
    after pool_timeout, and the server never sees a third connection."""
    async with holding_server() as server:
        client = await made(server.url, max_connections=2, pool_timeout=0.3)
        async with client:
            busy = [asyncio.create_task(client.get("/slow")) for _ in range(2)]
            for _ in range(200):  # both requests reach the server (real time, bounded)
                if server.requests == 2:
                    break
                await asyncio.sleep(0.01)
            third = asyncio.create_task(client.get("/third"))
            # Until the third request gives up, or the server sees a third connection
            # (no limit): either way within a fraction of the 3 s allowed here.
            for _ in range(300):
                if third.done() or server.connections > 2:
                    break
                await asyncio.sleep(0.01)
            server.release.set()
            error: BaseException | None = None
            try:
                await within(10, third, what="the third client.get()")
            except (httpx.HTTPError, OSError) as exc:
                error = exc
            done = await asyncio.gather(*busy, return_exceptions=True)
    assert server.connections == 2 and isinstance(error, httpx.PoolTimeout), (
        f"with max_connections=2 and two requests holding both connections, the server saw "
        f"{server.connections} connections and a third request ended with {error!r}; expected httpx.PoolTimeout after pool_timeout: pass "
        "httpx.Limits(max_connections=max_connections, ...) as limits= and the pool timeout "
        "in the Timeout."
    )
    assert all(isinstance(r, httpx.Response) and r.status_code == 200 for r in done), (
        f"the two held requests ended with {done!r}; expected both answered 200 once released."
    )


@pytest.mark.task(1)
async def test_relative_urls_go_to_the_base_url() -> None:
    """A relative URL is sent to the base URL given to make_client."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200)

    client = await made(
        "http://inventory.test",
        max_connections=1,
        pool_timeout=1,
        transport=httpx.MockTransport(handler),
    )
    async with client:
        await within(5, client.get("/stock"), what="client.get('/stock')")
    assert seen == ["http://inventory.test/stock"], (
        f"client.get('/stock') went to {seen}; expected ['http://inventory.test/stock']: "
        "pass base_url= (and the transport, when one is given) to httpx.AsyncClient."
    )


# Step 2 --------------------------------------------------------------------------------


class Service:
    """A MockTransport handler answering from a script, logging (loop time, method, path)."""

    def __init__(self, answers: list[tuple[int, dict[str, str]]]) -> None:
        self.answers = list(answers)
        self.log: list[tuple[float, str, str]] = []
        self.returned: float | None = None  # when send_with_retries returned (from its start)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append((asyncio.get_running_loop().time(), request.method, request.url.path))
        status, headers = self.answers.pop(0) if self.answers else (200, {})
        return httpx.Response(status, headers=headers, text=f"answer {len(self.log)}")

    def times(self, start: float) -> list[float]:
        return [round(t - start, 6) for t, _m, _p in self.log]


async def retried(
    service: Service,
    method: str = "GET",
    *,
    max_attempts: int = 4,
    base_delay: float = 1.0,
    seed: int = 11,
    rng: random.Random | None = None,
) -> tuple[Any, list[float]]:
    client = await made(
        "http://svc.test", max_connections=4, pool_timeout=1, transport=httpx.MockTransport(service)
    )
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with client:
        response = await within(
            600,
            hc.send_with_retries(
                client,
                method,
                "/orders",
                max_attempts=max_attempts,
                base_delay=base_delay,
                rng=random.Random(seed) if rng is None else rng,
            ),
            what=f"send_with_retries(client, {method!r}, '/orders', max_attempts={max_attempts}, base_delay={base_delay}, rng)",
        )
        service.returned = round(loop.time() - start, 6)
    return response, service.times(start)


class CountingRandom(random.Random):
    """A seeded random.Random that counts its uniform() draws."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.uniforms = 0

    def uniform(self, a: float, b: float) -> float:
        self.uniforms += 1
        return super().uniform(a, b)


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_retry_after_is_obeyed() -> None:
    """503 with Retry-After: 3, then 429 with Retry-After: 1.5, then 200: requests at 0, 3
    and 4.5 s, and the 200 is returned."""
    service = Service([(503, {"Retry-After": "3"}), (429, {"Retry-After": "1.5"}), (200, {})])
    response, times = await retried(service)
    assert times == [0, 3.0, 4.5] and response.status_code == 200, (
        f"with answers 503 (Retry-After: 3), 429 (Retry-After: 1.5), 200, requests were sent "
        f"at {times} s and {getattr(response, 'status_code', response)!r} returned; expected "
        "requests at [0, 3.0, 4.5] s and the 200: wait the Retry-After seconds when the "
        "answer gives them."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_backoff_is_exponential_with_jitter() -> None:
    """Three 503s without Retry-After: backoffs of base * 1, 2, 4, each times the rng's
    uniform(0.5, 1.5), drawn in that order from the given rng."""
    service = Service([(503, {}), (503, {}), (503, {}), (200, {})])
    response, times = await retried(service, base_delay=1.0, seed=11)
    replay = random.Random(11)
    delays = [1.0 * 2**n * replay.uniform(0.5, 1.5) for n in range(3)]
    expected = [0.0]
    for delay in delays:
        expected.append(round(expected[-1] + delay, 6))
    assert times == pytest.approx(expected) and response.status_code == 200, (
        f"with three 503s and no Retry-After (base_delay=1, rng=Random(11)), requests were "
        f"sent at {times} s; expected {expected} s: after the n-th attempt wait "
        "base_delay * 2**(n - 1) * rng.uniform(0.5, 1.5), one rng.uniform() per backoff."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_backoff_counts_every_attempt() -> None:
    """503 with Retry-After: 3, then 503 without, then 200: the backoff after the second
    attempt is base * 2 * uniform, n counting the attempt answered with Retry-After too."""
    service = Service([(503, {"Retry-After": "3"}), (503, {}), (200, {})])
    response, times = await retried(service, base_delay=1.0, seed=11)
    backoff = 1.0 * 2 ** (2 - 1) * random.Random(11).uniform(0.5, 1.5)
    expected = [0.0, 3.0, round(3.0 + backoff, 6)]
    assert times == pytest.approx(expected) and response.status_code == 200, (
        f"with answers 503 (Retry-After: 3), 503 (no Retry-After), 200 (base_delay=1, "
        f"rng=Random(11)), requests were sent at {times} s; expected {expected} s: the "
        "backoff after the n-th attempt is base_delay * 2**(n - 1) * rng.uniform(0.5, 1.5), "
        "and n counts every attempt, the ones answered with a Retry-After too (here n = 2, "
        "and the rng's first draw)."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_retry_after_waits_draw_no_jitter() -> None:
    """Waits given by Retry-After draw nothing from the rng; each backoff draws exactly one
    rng.uniform."""
    rng = CountingRandom(11)
    service = Service([(503, {"Retry-After": "3"}), (429, {"Retry-After": "1.5"}), (200, {})])
    await retried(service, rng=rng)
    untouched = rng.getstate() == random.Random(11).getstate()
    assert rng.uniforms == 0 and untouched, (
        f"with answers 503 (Retry-After: 3), 429 (Retry-After: 1.5), 200, the rng was drawn "
        f"from ({rng.uniforms} rng.uniform() call(s)); expected no draw: a wait the server "
        "gave in Retry-After is taken as it is, and rng.uniform(0.5, 1.5) is drawn only for a "
        "backoff (an answer without Retry-After)."
    )
    rng = CountingRandom(11)
    service = Service([(503, {}), (429, {}), (200, {})])
    await retried(service, rng=rng)
    assert rng.uniforms == 2, (
        f"with answers 503, 429 (no Retry-After), 200, rng.uniform() was called "
        f"{rng.uniforms} time(s); expected 2: one draw per backoff wait."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_attempts_are_bounded_and_the_last_answer_returned() -> None:
    """Always 503: exactly max_attempts=3 requests, and the last 503 is returned at once."""
    service = Service([(503, {"Retry-After": "1"})] * 10)
    response, times = await retried(service, max_attempts=3)
    assert times == [0, 1.0, 2.0], (
        f"with every answer a 503 and max_attempts=3, requests were sent at {times} s; "
        "expected exactly three, at [0, 1.0, 2.0] s, and no wait after the last."
    )
    assert (
        isinstance(response, httpx.Response)
        and response.status_code == 503
        and response.text == "answer 3"
    ), f"send_with_retries returned {response!r}; expected the third (last) 503 response."


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_post_is_never_retried() -> None:
    """A POST answered 503 is sent once and its 503 returned: it may have been processed."""
    service = Service([(503, {"Retry-After": "1"}), (200, {})])
    response, times = await retried(service, "POST")
    assert times == [0] and response.status_code == 503, (
        f"a POST answered 503 was sent {len(times)} time(s) and "
        f"{getattr(response, 'status_code', response)!r} returned; expected one request and "
        "its 503: retry only idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE)."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_other_statuses_are_not_retried() -> None:
    """500, 502 and 404 are returned at once, with no second request."""
    for status in (500, 502, 404):
        service = Service([(status, {"Retry-After": "1"}), (200, {})])
        response, times = await retried(service)
        assert times == [0] and response.status_code == status, (
            f"a GET answered {status} was sent {len(times)} time(s); expected one: only 429 "
            "and 503 mean 'overloaded, try again later'."
        )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_every_idempotent_method_is_retried() -> None:
    """GET, HEAD, OPTIONS, PUT and DELETE, answered 429 once, are each sent again."""
    for method in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "get"):
        service = Service([(429, {"Retry-After": "0.5"}), (200, {})])
        response, times = await retried(service, method)
        assert times == [0, 0.5] and response.status_code == 200, (
            f"a {method} answered 429 (Retry-After: 0.5) was sent at {times} s; expected a "
            "second request at 0.5 s: it is idempotent (the method name may come in any case)."
        )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_the_last_answer_is_returned_without_waiting() -> None:
    """With the attempts used up, the last 503 is returned the moment it arrives: no
    Retry-After wait, no backoff after the last attempt."""
    cases: list[tuple[str, list[tuple[int, dict[str, str]]], int]] = [
        ("503 (Retry-After: 1) every time, max_attempts=3", [(503, {"Retry-After": "1"})] * 5, 3),
        ("503 (no Retry-After) every time, max_attempts=2", [(503, {})] * 5, 2),
    ]
    for label, answers, attempts in cases:
        service = Service(answers)
        _response, times = await retried(service, max_attempts=attempts)
        assert len(times) == attempts and service.returned == times[-1], (
            f"with {label}, requests were sent at {times} s and send_with_retries returned "
            f"at {service.returned} s; expected it to return at {times[-1]} s, when the last "
            "answer arrived: check for the last attempt before waiting, and return without "
            "sleeping (a wait that no request follows only delays the caller)."
        )
