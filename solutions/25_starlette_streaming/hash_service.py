"""An artifact-hashing service on Starlette: stream uploads, offload blocking work, share a client.

A build farm uploads release artifacts (often hundreds of megabytes) to get their SHA-256,
asks for a malware scan by a vendor's synchronous library, and asks for the hash of
artifacts already published on the artifact store. One process serves many such requests at
once, so none of them may hold a whole upload in memory, stall the event loop, or open its
own connection pool.

1. `lifespan`: create one `httpx.AsyncClient` for the artifact store at startup, share it
   with every request as state, and close it at shutdown.
2. `sha256_upload` (`POST /sha256`): hash the request body as it streams in, chunk by
   chunk, never holding all of it.
3. `scan_upload` (`POST /scan`): run the blocking `scanner.scan(data)` in a worker thread,
   so the event loop keeps serving while it runs.
4. `artifact_sha256` (`GET /artifacts/{name}/sha256`): stream the artifact from the store
   through the shared client and hash it as it arrives; 502 if the store does not answer 200.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ARTIFACT_STORE_URL = "https://artifacts.example.com"


class Scanner(Protocol):
    """A synchronous malware scanner: `scan` blocks its thread while it works."""

    def scan(self, data: bytes) -> str: ...


class LegacyScanner:
    """The vendor's scanner: a blocking call (half a second per document), not async."""

    def scan(self, data: bytes) -> str:
        time.sleep(0.5)  # the vendor's C library waits on its licence server
        return "infected" if b"EICAR" in data else "clean"


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
    """Own the artifact store's HTTP client for the life of the process.

    Args:
        app: the Starlette app; `app.state.store_transport` is the transport to use (None
            for a real network connection; a test puts an `httpx.MockTransport` there).

    Yields:
        The lifespan state `{"store": client}`: Starlette hands it to every request as
        `request.state.store`.

    Example:
        >>> # async with lifespan(app) as state: state["store"].get("/artifacts/a.tar")
    """
    # One client for the whole process: it keeps a connection pool, so requests reuse TCP
    # and TLS connections instead of paying a handshake each. `async with` closes it (and
    # its connections) when the server shuts down, even if shutdown comes from an error.
    async with httpx.AsyncClient(
        base_url=ARTIFACT_STORE_URL, transport=app.state.store_transport, timeout=30.0
    ) as client:
        yield {"store": client}


async def sha256_upload(request: Request) -> JSONResponse:
    """POST /sha256: the SHA-256 of the uploaded body, hashed as it streams in.

    Args:
        request: the upload; its body may be far larger than the memory you may use.

    Returns:
        `{"sha256": "<hex digest>", "bytes": <body length>}`.

    Example:
        >>> # POST /sha256 with b"abc"  ->  {"sha256": "ba7816bf...", "bytes": 3}
    """
    digest = hashlib.sha256()
    size = 0
    # request.stream() yields the body chunk by chunk as the server receives it; each chunk
    # is hashed and dropped, so memory stays at one chunk whatever the upload's size.
    # (`await request.body()` would hold all of it, twice, while joining.)
    async for chunk in request.stream():
        digest.update(chunk)
        size += len(chunk)
    return JSONResponse({"sha256": digest.hexdigest(), "bytes": size})


async def scan_upload(request: Request) -> JSONResponse:
    """POST /scan: scan the uploaded document with the blocking scanner, off the event loop.

    Args:
        request: the document (small: the scanner needs it whole, so reading the body is fine).

    Returns:
        `{"verdict": <what scanner.scan returned>, "bytes": <document length>}`; the scanner
        is `request.app.state.scanner`.

    Example:
        >>> # POST /scan with b"hello"  ->  {"verdict": "clean", "bytes": 5}
    """
    data = await request.body()
    scanner: Scanner = request.app.state.scanner
    # scan() blocks its thread for half a second. On the event loop's thread that would
    # freeze every other request; run_in_threadpool runs it on a worker thread and awaits
    # the result, so the loop keeps serving.
    verdict = await run_in_threadpool(scanner.scan, data)
    return JSONResponse({"verdict": verdict, "bytes": len(data)})


async def artifact_sha256(request: Request) -> JSONResponse:
    """GET /artifacts/{name}/sha256: hash an artifact the store already has, as it downloads.

    Args:
        request: `request.path_params["name"]` names the artifact; `request.state.store` is
            the shared client.

    Returns:
        `{"name": name, "sha256": "<hex>", "bytes": n}`; if the store does not answer 200,
        status 502 with `{"error": "store answered <status>"}`.

    Example:
        >>> # GET /artifacts/app-1.0.tar/sha256  ->  {"name": "app-1.0.tar", "sha256": ...}
    """
    name = request.path_params["name"]
    store: httpx.AsyncClient = request.state.store
    # The shared client (from the lifespan), never a new one: a client per request would
    # open and tear down a connection pool every time. `stream()` gives the body in chunks
    # instead of loading it whole, like request.stream() on the upload side.
    async with store.stream("GET", f"/artifacts/{name}") as response:
        if response.status_code != 200:
            return JSONResponse(
                {"error": f"store answered {response.status_code}"}, status_code=502
            )
        digest = hashlib.sha256()
        size = 0
        async for chunk in response.aiter_bytes():
            digest.update(chunk)
            size += len(chunk)
    return JSONResponse({"name": name, "sha256": digest.hexdigest(), "bytes": size})


def build_app(
    store_transport: httpx.AsyncBaseTransport | None = None, scanner: Scanner | None = None
) -> Starlette:
    """The service. `uvicorn --factory hash_service:build_app` serves it.

    Args:
        store_transport: how the shared client reaches the artifact store (None: the network).
        scanner: the malware scanner (None: the vendor's LegacyScanner).

    Returns:
        The Starlette app, with the routes and the lifespan.
    """
    app = Starlette(
        routes=[
            Route("/sha256", sha256_upload, methods=["POST"]),
            Route("/scan", scan_upload, methods=["POST"]),
            Route("/artifacts/{name}/sha256", artifact_sha256, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.store_transport = store_transport
    app.state.scanner = scanner if scanner is not None else LegacyScanner()
    return app


async def main() -> None:
    """Hash 8 MB sent as a stream of chunks, in-process, and print the answer."""
    from asgi_lifespan import LifespanManager

    async def chunks() -> AsyncIterator[bytes]:
        for n in range(128):
            yield bytes([n]) * 65536

    async with LifespanManager(build_app()) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hash") as client:
            response = await client.post("/sha256", content=chunks())
            print(response.json())


if __name__ == "__main__":
    import asyncio

    asyncio.run(main())
