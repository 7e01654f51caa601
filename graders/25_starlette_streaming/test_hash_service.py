"""Grades exercises/25_starlette_streaming/hash_service.py, in-process through httpx.ASGITransport.

Memory is bounded with tracemalloc (a 32 MiB stream must peak under 4 MiB, an eighth), the
scanner's thread and overlap with a thread-safe in-flight counter and a barrier-like wait.

Requirements:
- 1: one client on the store transport, open while serving, closed once at shutdown
  -> test_store_client_is_closed_at_shutdown
- 1: the state key is "store": another endpoint's request.state.store is the client
  -> test_client_is_shared_as_request_state_store
- 2: the sha256 and length of the body -> test_upload_hash_is_correct
- 2: hashed chunk by chunk, in bounded memory -> test_large_upload_is_hashed_in_bounded_memory
- 3: the scanner's verdict for each document -> test_scan_returns_the_scanner_verdict
- 3: the scan on a worker thread -> test_scan_runs_off_the_event_loop
- 3: two scans at once -> test_two_scans_run_at_once
- 4: the artifact's hash, fetched from the store's URL -> test_artifact_hash_comes_from_the_store
- 4: a 404 from the store is a 502 -> test_missing_artifact_is_a_bad_gateway
- 4: any other non-200 (a 503) is a 502 -> test_store_error_is_a_bad_gateway
- 4: a non-200 success (204, 206) is a 502 too -> test_store_success_other_than_200_is_a_bad_gateway
- 4: streamed from the store, never held whole -> test_large_artifact_is_hashed_in_bounded_memory
- 4: the lifespan's shared client for every request -> test_one_client_serves_every_request
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.responses import JSONResponse
from starlette.routing import Route

from katagrader import ThreadInFlight, learner_module, within

hs = learner_module("hash_service")

UPLOAD_CHUNK = 64 * 1024
UPLOAD_CHUNKS = 512  # 32 MiB in all
MEMORY_LIMIT = 4 * 1024 * 1024  # an eighth of the upload
SCAN_HOLD = 0.5  # each scan blocks its thread this long: caught if run on the loop


class Body(httpx.AsyncByteStream):
    """A response body that arrives in 64 KiB pieces, as from a socket. A Response built from
    `content=bytes` is read at once, so its `aiter_raw()` raises StreamConsumed where a real
    server's response streams; this one is not read ahead, so `aiter_bytes()` and
    `aiter_raw()` both work, as they do against the real store."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), UPLOAD_CHUNK):
            yield self.data[start : start + UPLOAD_CHUNK]


def streamed_response(status: int, data: bytes) -> httpx.Response:
    headers = {} if status == 204 else {"content-length": str(len(data))}
    return httpx.Response(status, headers=headers, stream=Body(data))


class StoreTransport(httpx.MockTransport):
    """The artifact store, in memory: records every request and every close of the client.

    Every answer is streamed, like a real server's (see `Body`)."""

    def __init__(
        self,
        artifacts: dict[str, bytes],
        streamed: dict[str, Callable[[], AsyncIterator[bytes]]] | None = None,
        status: int = 404,
        page: bytes = b"<html>the store is unwell</html>",
    ) -> None:
        self.artifacts = artifacts
        self.streamed = streamed or {}  # produced lazily, chunk by chunk, as it is read
        self.status = status  # the answer for a name it does not hold
        self.page = page  # the body of that answer
        self.requests: list[httpx.Request] = []
        self.closed = 0
        super().__init__(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        match = re.fullmatch(r"/artifacts/([^/]+)", request.url.path)
        if match and match.group(1) in self.artifacts:
            return streamed_response(200, self.artifacts[match.group(1)])
        if match and match.group(1) in self.streamed:
            return httpx.Response(200, content=self.streamed[match.group(1)]())
        return streamed_response(self.status, self.page)

    async def aclose(self) -> None:
        self.closed += 1


class ProbedScanner:
    """A blocking scanner that records the thread of each scan and how many overlapped.

    A scan first waits (up to `patience` s, once per probe) until `expected` scans are in
    flight together, so the peak does not depend on how fast threads start on a busy machine.
    """

    def __init__(self, expected: int = 1, patience: float = 2.0) -> None:
        self.expected = expected
        self.patience = patience
        self.in_flight = ThreadInFlight()
        self.threads: list[threading.Thread] = []
        self.documents: list[bytes] = []
        self._condition = threading.Condition()
        self._gave_up = False

    def scan(self, data: bytes) -> str:
        self.documents.append(data)
        self.threads.append(threading.current_thread())
        with self.in_flight:
            with self._condition:
                self._condition.notify_all()
                if not self._gave_up and not self._condition.wait_for(
                    lambda: self.in_flight.peak >= self.expected, timeout=self.patience
                ):
                    self._gave_up = True
            time.sleep(SCAN_HOLD)  # the vendor library's blocking wait
        return "infected" if b"EICAR" in data else "clean"


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and give a client that talks to it in-process."""
    async with LifespanManager(app, startup_timeout=10, shutdown_timeout=10) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hash.test") as client:
            yield client


def upload_chunks() -> Iterator[bytes]:
    """32 MiB in 64 KiB chunks, each a fresh bytes object with its own content."""
    for n in range(UPLOAD_CHUNKS):
        yield n.to_bytes(4, "big") * (UPLOAD_CHUNK // 4)


# The runner's thread and anyio's worker threads (run_in_threadpool) belong to the libraries:
# anyio's idle workers stop when the test's task ends. Any other new thread is the learner's.
_LIBRARY_THREADS = re.compile(r"^(asyncio_\d+|AnyIO worker thread)$|_monitor_loop")


def assert_no_new_threads(before: set[threading.Thread]) -> None:
    deadline = time.monotonic() + 1.0
    while True:
        new = [
            t
            for t in set(threading.enumerate()) - before
            if t.is_alive() and not _LIBRARY_THREADS.search(t.name)
        ]
        if not new or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not new, (
        f"threads {[t.name for t in new]} were still running after the test; a thread or "
        "executor you start must be finished and joined (prefer run_in_threadpool or "
        "asyncio.to_thread, whose threads belong to the library)."
    )


# ---- step 1: the lifespan owns the client -----------------------------------------------


@pytest.mark.task(1)
async def test_store_client_is_closed_at_shutdown() -> None:
    """The lifespan's client uses the app's store transport and is closed once, at shutdown."""
    store = StoreTransport({})
    app = hs.build_app(store_transport=store)
    async with serve(app):
        assert store.closed == 0, (
            "the store client was closed during startup; it must stay open while the app "
            "serves. Yield inside `async with httpx.AsyncClient(...) as client:`."
        )
    assert store.closed == 1, (
        f"after shutdown the store transport was closed {store.closed} time(s); expected once. "
        "Create the client with transport=app.state.store_transport and close it when the "
        "lifespan ends (`async with httpx.AsyncClient(...) as client: yield {...}`); a client "
        "never closed leaks its connection pool."
    )


@pytest.mark.task(1)
async def test_client_is_shared_as_request_state_store() -> None:
    """The lifespan yields the client under the key "store": any endpoint's
    request.state.store is it."""
    store = StoreTransport({"a.tar": b"a"})
    app = hs.build_app(store_transport=store)
    seen: list[Any] = []

    async def colleague_endpoint(request: Any) -> Any:
        # Another endpoint of the service, written against the documented state key.
        seen.append(getattr(request.state, "store", None))
        return JSONResponse({"ok": True})

    app.router.routes.append(Route("/colleague", colleague_endpoint))
    async with serve(app) as client:
        await within(10, client.get("/colleague"), what="GET /colleague")
    client_seen = seen[0] if seen else None
    assert isinstance(client_seen, httpx.AsyncClient), (
        f"an endpoint of the app read request.state.store and got {client_seen!r}; expected the "
        "lifespan's httpx.AsyncClient. The lifespan must yield {'store': client}, that exact "
        "key: every endpoint (and whoever else works on the service) reads "
        "request.state.store, not a name of your own."
    )


# ---- step 2: streaming upload hash --------------------------------------------------------


@pytest.mark.task(2)
@pytest.mark.parametrize("body", [b"abc", b""], ids=["abc", "empty"])
async def test_upload_hash_is_correct(body: bytes) -> None:
    """POST /sha256 answers the SHA-256 and the length of the body."""
    async with serve(hs.build_app(store_transport=StoreTransport({}))) as client:
        response = await within(10, client.post("/sha256", content=body), what="POST /sha256")
    expected = {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
    assert response.status_code == 200 and response.json() == expected, (
        f"POST /sha256 with {body!r} answered {response.status_code} {response.text}; "
        f"expected 200 {expected}."
    )


@pytest.mark.task(2)
# This test is about memory. A wrong answer that holds 32 MiB also hashes it in one call
# (0.1 s of CPU, over 1 s on a loaded machine): a higher threshold keeps its verdict the
# memory one instead of a blocked loop stopped at a time that depends on the load.
@pytest.mark.leaks(blocking_threshold=2.0)
async def test_large_upload_is_hashed_in_bounded_memory() -> None:
    """A 32 MiB upload is hashed correctly while the app holds far less than the upload."""
    digest = hashlib.sha256()
    for piece in upload_chunks():
        digest.update(piece)
    expected = {"sha256": digest.hexdigest(), "bytes": UPLOAD_CHUNK * UPLOAD_CHUNKS}

    async def stream() -> AsyncIterator[bytes]:
        for piece in upload_chunks():
            yield piece

    async with serve(hs.build_app(store_transport=StoreTransport({}))) as client:
        tracemalloc.start()
        try:
            response = await within(
                60, client.post("/sha256", content=stream()), what="POST /sha256 (32 MiB)"
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert response.status_code == 200 and response.json() == expected, (
        f"POST /sha256 with 32 MiB in 64 KiB chunks answered {response.status_code} "
        f"{response.text}; expected {expected}."
    )
    assert peak < MEMORY_LIMIT, (
        f"hashing a 32 MiB upload took {peak / 2**20:.1f} MiB of memory at its peak; expected "
        f"under {MEMORY_LIMIT / 2**20:.0f} MiB. `await request.body()` holds the whole upload "
        "(twice, while joining): iterate `async for chunk in request.stream():` and feed each "
        "chunk to `digest.update()`."
    )


# ---- step 3: blocking scanner on a thread -------------------------------------------------


@pytest.mark.task(3)
@pytest.mark.leaks(threads=False)  # anyio's idle workers outlive the test body; checked below
async def test_scan_returns_the_scanner_verdict() -> None:
    """POST /scan answers the scanner's verdict for the uploaded document."""
    before = set(threading.enumerate())
    scanner = ProbedScanner()
    app = hs.build_app(store_transport=StoreTransport({}), scanner=scanner)
    async with serve(app) as client:
        clean = await within(10, client.post("/scan", content=b"hello"), what="POST /scan")
        bad = await within(10, client.post("/scan", content=b"xxEICARxx"), what="POST /scan")
    assert (clean.status_code, clean.json()) == (200, {"verdict": "clean", "bytes": 5}), (
        f"POST /scan with b'hello' answered {clean.status_code} {clean.text}; expected 200 "
        "{'verdict': 'clean', 'bytes': 5}, the scanner's own answer."
    )
    assert bad.json() == {"verdict": "infected", "bytes": 9}, (
        f"POST /scan with b'xxEICARxx' answered {bad.text}; expected verdict 'infected'."
    )
    assert scanner.documents == [b"hello", b"xxEICARxx"], (
        f"the scanner was given {scanner.documents}; expected each document once, whole."
    )
    assert_no_new_threads(before)


@pytest.mark.task(3)
@pytest.mark.leaks(threads=False)  # anyio's idle workers outlive the test body; checked below
async def test_scan_runs_off_the_event_loop() -> None:
    """The blocking scan runs in a worker thread, not on the event loop's thread."""
    before = set(threading.enumerate())
    scanner = ProbedScanner()
    app = hs.build_app(store_transport=StoreTransport({}), scanner=scanner)
    async with serve(app) as client:
        await within(10, client.post("/scan", content=b"doc"), what="POST /scan")
    assert scanner.threads and threading.current_thread() not in scanner.threads, (
        "POST /scan ran scanner.scan() on the event loop's own thread: for half a second no "
        "other request was served. Run it in a thread: "
        "`await run_in_threadpool(scanner.scan, data)` (or asyncio.to_thread)."
    )
    assert_no_new_threads(before)


@pytest.mark.task(3)
@pytest.mark.leaks(threads=False)  # anyio's idle workers outlive the test body; checked below
async def test_two_scans_run_at_once() -> None:
    """Two concurrent POST /scan requests have their scans running at the same time."""
    before = set(threading.enumerate())
    scanner = ProbedScanner(expected=2)
    app = hs.build_app(store_transport=StoreTransport({}), scanner=scanner)
    async with serve(app) as client:
        await within(
            15,
            asyncio.gather(client.post("/scan", content=b"a"), client.post("/scan", content=b"b")),
            what="two concurrent POST /scan",
        )
    assert scanner.in_flight.peak == 2, (
        f"two concurrent POST /scan requests had at most {scanner.in_flight.peak} scan(s) "
        "running at once; expected 2. A blocking call on the loop serializes every request."
    )
    assert_no_new_threads(before)


# ---- step 4: the shared client, streamed --------------------------------------------------


@pytest.mark.task(4)
async def test_artifact_hash_comes_from_the_store() -> None:
    """GET /artifacts/{name}/sha256 hashes the store's artifact of that name."""
    artifact = bytes(range(256)) * 4096  # 1 MiB
    store = StoreTransport({"app-1.0.tar": artifact})
    async with serve(hs.build_app(store_transport=store)) as client:
        response = await within(
            10,
            client.get("/artifacts/app-1.0.tar/sha256"),
            what="GET /artifacts/app-1.0.tar/sha256",
        )
    expected = {
        "name": "app-1.0.tar",
        "sha256": hashlib.sha256(artifact).hexdigest(),
        "bytes": len(artifact),
    }
    assert response.status_code == 200 and response.json() == expected, (
        f"GET /artifacts/app-1.0.tar/sha256 answered {response.status_code} {response.text}; "
        f"expected 200 {expected}."
    )
    urls = [str(r.url) for r in store.requests]
    assert urls == ["https://artifacts.example.com/artifacts/app-1.0.tar"], (
        f"the store was asked for {urls}; expected one GET of "
        "https://artifacts.example.com/artifacts/app-1.0.tar through the shared client."
    )


@pytest.mark.task(4)
async def test_missing_artifact_is_a_bad_gateway() -> None:
    """When the store answers 404, the service answers 502 naming the store's status."""
    async with serve(hs.build_app(store_transport=StoreTransport({}))) as client:
        response = await within(
            10, client.get("/artifacts/ghost.tar/sha256"), what="GET /artifacts/ghost.tar/sha256"
        )
    assert (response.status_code, response.json()) == (502, {"error": "store answered 404"}), (
        f"GET /artifacts/ghost.tar/sha256 (the store answers 404) answered "
        f"{response.status_code} {response.text}; expected 502 {{'error': 'store answered 404'}}."
    )


@pytest.mark.task(4)
async def test_store_error_is_a_bad_gateway() -> None:
    """Any status other than 200 from the store (here a 503 with an error page) is a 502."""
    store = StoreTransport({}, status=503)
    async with serve(hs.build_app(store_transport=store)) as client:
        response = await within(
            10, client.get("/artifacts/app.tar/sha256"), what="GET /artifacts/app.tar/sha256"
        )
    assert (response.status_code, response.json()) == (502, {"error": "store answered 503"}), (
        f"GET /artifacts/app.tar/sha256 (the store answers 503 with an error page) answered "
        f"{response.status_code} {response.text}; expected 502 {{'error': 'store answered 503'}}: "
        "every status but 200 means the store failed."
    )


@pytest.mark.task(4)
async def test_store_success_other_than_200_is_a_bad_gateway() -> None:
    """A success status other than 200 (a 204 No Content, a 206 Partial Content) is a 502."""
    answers: dict[int, tuple[int, Any]] = {}
    for status, page in [(204, b""), (206, b"the first half of an artifact")]:
        store = StoreTransport({}, status=status, page=page)
        async with serve(hs.build_app(store_transport=store)) as client:
            response = await within(
                10,
                client.get("/artifacts/app.tar/sha256"),
                what=f"GET /artifacts/app.tar/sha256 (the store answers {status})",
            )
        try:
            answers[status] = (response.status_code, response.json())
        except ValueError:
            answers[status] = (response.status_code, response.text)
    expected = {status: (502, {"error": f"store answered {status}"}) for status in (204, 206)}
    assert answers == expected, (
        f"GET /artifacts/app.tar/sha256, with the store answering 204 and then 206, answered "
        f"{answers}; expected 502 {{'error': 'store answered <status>'}} for both. Only a 200 "
        "carries the whole artifact: `response.is_error` (4xx and 5xx) or `is_success` (any "
        "2xx) let a 204's empty body or a 206's partial one be hashed as the artifact. Compare "
        "`response.status_code != 200`."
    )


@pytest.mark.task(4)
# This test is about memory. A wrong answer that holds 32 MiB also hashes it in one call
# (0.1 s of CPU, over 1 s on a loaded machine): a higher threshold keeps its verdict the
# memory one instead of a blocked loop stopped at a time that depends on the load.
@pytest.mark.leaks(blocking_threshold=2.0)
async def test_large_artifact_is_hashed_in_bounded_memory() -> None:
    """A 32 MiB artifact is hashed as it streams from the store, never held whole."""
    digest = hashlib.sha256()
    for piece in upload_chunks():
        digest.update(piece)

    async def artifact() -> AsyncIterator[bytes]:
        for piece in upload_chunks():  # each chunk made when the client asks for it
            yield piece

    store = StoreTransport({}, streamed={"big.iso": artifact})
    async with serve(hs.build_app(store_transport=store)) as client:
        tracemalloc.start()
        try:
            response = await within(
                60, client.get("/artifacts/big.iso/sha256"), what="GET /artifacts/big.iso/sha256"
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    expected = {
        "name": "big.iso",
        "sha256": digest.hexdigest(),
        "bytes": UPLOAD_CHUNK * UPLOAD_CHUNKS,
    }
    assert response.status_code == 200 and response.json() == expected, (
        f"GET /artifacts/big.iso/sha256 (32 MiB) answered {response.status_code} "
        f"{response.text}; expected 200 {expected}."
    )
    assert peak < MEMORY_LIMIT, (
        f"hashing a 32 MiB artifact from the store took {peak / 2**20:.1f} MiB of memory at its "
        f"peak; expected under {MEMORY_LIMIT / 2**20:.0f} MiB: the artifact was held whole "
        "(`await store.get(...)` or `response.aread()` read it to the end). Stream it: "
        "`async with store.stream('GET', ...) as response:` and `async for chunk in "
        "response.aiter_bytes():`."
    )


@pytest.mark.task(4)
async def test_one_client_serves_every_request() -> None:
    """Three artifact requests share the lifespan's client: it is closed only at shutdown."""
    store = StoreTransport({f"lib-{n}.whl": bytes([n]) * 1000 for n in range(3)})
    async with serve(hs.build_app(store_transport=store)) as client:
        for n in range(3):
            response = await within(
                10, client.get(f"/artifacts/lib-{n}.whl/sha256"), what=f"GET lib-{n}.whl"
            )
            assert response.status_code == 200, f"GET lib-{n}.whl answered {response.status_code}."
        assert store.closed == 0, (
            f"while the app was serving, the store transport was closed {store.closed} times, "
            "after 3 requests: each request made (and closed) its own client. Use the lifespan's "
            "shared client, `request.state.store`."
        )
    assert store.closed == 1, f"at shutdown the store was closed {store.closed} times; expected 1."
