"""A production HTTP client: per-phase timeouts, a bounded pool, and retries done right.

`httpx.AsyncClient()` with its defaults is a fine start and a poor production client:
one 5 s timeout for every phase, and retries left to you. This kata configures the client
for a service that is sometimes overloaded.

1. `make_client(base_url, *, max_connections, pool_timeout, transport=None)`: an
   `httpx.AsyncClient` with `Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT,
   write=WRITE_TIMEOUT, pool=pool_timeout)` and `Limits(max_connections=max_connections,
   max_keepalive_connections=max_connections)`: when every connection is busy, a request
   waits at most `pool_timeout` seconds for one, then raises `httpx.PoolTimeout`.
2. `send_with_retries(client, method, url, *, max_attempts, base_delay, rng)`: send the
   request; on a 429 or 503 answer to an idempotent method (GET, HEAD, OPTIONS, PUT,
   DELETE), wait and send it again, at most `max_attempts` requests in all. Wait what
   `Retry-After` says (seconds) when the answer has it, else `base_delay * 2**(n - 1) *
   rng.uniform(0.5, 1.5)` after the n-th attempt (exponential backoff with jitter). Return
   the last response; never retry other statuses, or a method that is not idempotent.
"""

from __future__ import annotations

import asyncio
import random

import httpx

CONNECT_TIMEOUT = 2.0  # reaching the server: a dead host should fail fast
READ_TIMEOUT = 10.0  # waiting for each chunk of the answer
WRITE_TIMEOUT = 10.0  # sending each chunk of the request
RETRY_STATUSES = frozenset({429, 503})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def make_client(
    base_url: str,
    *,
    max_connections: int,
    pool_timeout: float,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """A client with a timeout per phase and a pool of at most `max_connections`.

    Args:
        base_url: the service's address, e.g. "http://127.0.0.1:8000".
        max_connections: the most connections open (and requests in flight) at once.
        pool_timeout: the longest wait for a free connection before `httpx.PoolTimeout`.
        transport: a transport to use instead of the network (tests pass a MockTransport).

    Returns:
        The client; the caller closes it (`async with`).

    Example:
        >>> client = make_client("http://127.0.0.1:1", max_connections=4, pool_timeout=1.0)
        >>> client.timeout
        Timeout(connect=2.0, read=10.0, write=10.0, pool=1.0)
    """
    # TODO: step 1
    raise NotImplementedError("Step 1: an AsyncClient with a Timeout per phase and Limits.")


async def send_with_retries(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    max_attempts: int,
    base_delay: float,
    rng: random.Random,
) -> httpx.Response:
    """Send a request, retrying an overloaded service's 429/503 for idempotent methods.

    Args:
        client: the client to send with.
        method: the HTTP method.
        url: the URL, relative to the client's base_url.
        max_attempts: the most requests sent in all (at least 1).
        base_delay: the first backoff, in seconds, when the answer has no Retry-After.
        rng: the source of jitter (`rng.uniform(0.5, 1.5)` once per backoff).

    Returns:
        The last response (a 429 or 503 too, once the attempts are used up).

    Example:
        >>> async def demo() -> int:
        ...     transport = httpx.MockTransport(lambda request: httpx.Response(200))
        ...     async with make_client("http://svc", max_connections=1, pool_timeout=1,
        ...                            transport=transport) as client:
        ...         response = await send_with_retries(client, "GET", "/", max_attempts=3,
        ...                                            base_delay=0.1, rng=random.Random(1))
        ...         return response.status_code
        >>> asyncio.run(demo())
        200
    """
    # TODO: step 2
    raise NotImplementedError(
        "Step 2: retry 429/503 of idempotent methods, Retry-After or jittered backoff."
    )


async def main() -> None:
    answers = iter([503, 429, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(answers), headers={"Retry-After": "0.1"})

    async with make_client(
        "http://service",
        max_connections=2,
        pool_timeout=1.0,
        transport=httpx.MockTransport(handler),
    ) as client:
        response = await send_with_retries(
            client, "GET", "/stock", max_attempts=3, base_delay=0.1, rng=random.Random(7)
        )
    print("final status:", response.status_code)


if __name__ == "__main__":
    asyncio.run(main())
