"""Grades exercises/26_uvicorn_client/remote_hash.py with real uvicorn servers on loopback sockets."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from katagrader import learner_module, within

rh = learner_module("remote_hash")

UPLOAD_CHUNK = 64 * 1024
UPLOAD_CHUNKS = 512  # 32 MiB
MAX_LAG = 8 * 1024 * 1024  # a quarter of the upload


async def _noop_app(scope: Any, receive: Any, send: Any) -> None:
    """Nothing: used once below to import uvicorn's protocol modules."""


# uvicorn imports its protocol and lifespan modules the first time a Config is loaded; do it
# now, at import time, so that this import is not mistaken for a blocked event loop.
uvicorn.Config(_noop_app, lifespan="on", log_level="warning").load()


class ProbeApp:
    """The grader's ASGI app: a hashing endpoint that counts what it has received so far,
    a slow endpoint held by an event, a broken endpoint, and a recorded lifespan."""

    def __init__(self, fail_startup: bool = False) -> None:
        self.fail_startup = fail_startup
        self.lifespan_events: list[str] = []
        self.received = 0
        self.release = asyncio.Event()
        self.slow_started = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.lifespan_events.append("startup")
                if self.fail_startup:
                    await send({"type": "lifespan.startup.failed", "message": "no database"})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.lifespan_events.append("shutdown")
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Any, receive: Any, send: Any) -> None:
        digest = hashlib.sha256()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            digest.update(body)
            self.received += len(body)
            if not message.get("more_body", False):
                break
        status, payload = 200, b'{"sha256": "%s"}' % digest.hexdigest().encode()
        if scope["path"] == "/slow":
            self.slow_started.set()
            await self.release.wait()
            payload = b'{"sha256": "slow"}'
        elif scope["path"] == "/broken":
            status, payload = 500, b'{"error": "disk full"}'
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})


async def force_stop(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    """The grader's own cleanup: stop a server whatever state the learner left it in."""
    server.should_exit = True
    _, pending = await asyncio.wait({task}, timeout=10)
    if pending:
        server.force_exit = True
        task.cancel()
        await asyncio.wait({task}, timeout=2)
    for listener in server.servers:  # a cancelled serve() leaves its listeners open
        listener.close()
    if task.done() and not task.cancelled():
        task.exception()  # retrieved: the test reports what matters


@contextlib.asynccontextmanager
async def grader_server(
    app: ProbeApp,
) -> AsyncIterator[tuple[uvicorn.Server, str, asyncio.Task[None]]]:
    """A uvicorn server run by the grader itself (not by the learner's start_server)."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="on",
        log_level="warning",
        timeout_keep_alive=30,  # an unclosed client's connection stays open during the test
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                assert not task.done(), "the grader's own server failed to start"
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield server, f"http://127.0.0.1:{port}", task
    finally:
        await force_stop(server, task)


@contextlib.asynccontextmanager
async def learner_server(app: ProbeApp, **kwargs: Any) -> AsyncIterator[Any]:
    """The learner's start_server, always followed by the grader's cleanup."""
    # The server's task is meant to outlive start_server(): stop_server() ends it.
    running = await within(
        20, rh.start_server(app, **kwargs), what="start_server(app)", tasks_may_outlive=True
    )
    try:
        yield running
    finally:
        await force_stop(running.server, running.task)


def running_servers() -> list[tuple[uvicorn.Server, asyncio.Task[Any]]]:
    """Every uvicorn server still serving on this loop, found through the task's await chain."""
    found = []
    for task in asyncio.all_tasks():
        coro: Any = task.get_coro()
        while coro is not None:
            frame = getattr(coro, "cr_frame", None)
            if frame is not None and frame.f_code is uvicorn.Server.serve.__code__:
                found.append((frame.f_locals["self"], task))
                break
            coro = getattr(coro, "cr_await", None)
    return found


@contextlib.asynccontextmanager
async def no_server_left(what: str) -> AsyncIterator[None]:
    """Fail if `what` left a server running; stop it in any case (no task or port outlives
    the test)."""
    before = {id(task) for _, task in running_servers()}
    failed = True
    try:
        yield
        failed = False
    finally:
        left = [(s, t) for s, t in running_servers() if id(t) not in before]
        for server, task in left:
            await force_stop(server, task)
    assert failed or not left, (
        f"after {what} returned, {len(left)} uvicorn server(s) were still running (a task and "
        "an open port): stop the server you start, in a `finally:`."
    )


def port_of(url: str) -> int:
    match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)", url)
    assert match, (
        f"start_server returned url={url!r}; expected 'http://127.0.0.1:<port>' (no trailing "
        "slash) with the port the OS chose: server.servers[0].sockets[0].getsockname()[1]."
    )
    return int(match.group(1))


async def accepts_connections(port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def ping(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(f"{url}/sha256", content=b"ping")


def chunk(n: int) -> bytes:
    return n.to_bytes(4, "big") * (UPLOAD_CHUNK // 4)


# ---- step 1: start_server ---------------------------------------------------------------


@pytest.mark.task(1)
async def test_server_listens_on_loopback_at_its_url() -> None:
    """start_server returns once the server listens on 127.0.0.1, at the URL it reports."""
    app = ProbeApp()
    async with learner_server(app) as running:
        port = port_of(running.url)
        assert port != 0, "the URL says port 0: report the port the OS actually chose."
        host = running.server.servers[0].sockets[0].getsockname()[0]
        assert host == "127.0.0.1", (
            f"the server listens on {host}; expected 127.0.0.1 (loopback only: a test server "
            "must not be reachable from the network)."
        )
        response = await within(10, ping(running.url), what=f"POST {running.url}/sha256")
        assert response.status_code == 200, f"the server answered {response.status_code}."
        assert app.lifespan_events == ["startup"], (
            f"the app's lifespan ran {app.lifespan_events}; expected ['startup'] "
            "(uvicorn.Config(..., lifespan='on'))."
        )
        assert isinstance(running.task, asyncio.Task) and not running.task.done(), (
            "RunningServer.task must be the running task of server.serve()."
        )


@pytest.mark.task(1)
async def test_failed_startup_raises_server_failed_to_start() -> None:
    """If the app's startup fails, start_server raises ServerFailedToStart and leaves no task."""
    app = ProbeApp(fail_startup=True)
    tasks_before = asyncio.all_tasks()
    with pytest.raises(rh.ServerFailedToStart):
        await within(
            20, rh.start_server(app), what="start_server(app) for an app whose startup fails"
        )
    left = [t for t in asyncio.all_tasks() - tasks_before if not t.done()]
    assert not left, (
        f"after start_server raised, {len(left)} task(s) were still running; the server's "
        "task must be finished (it ends by itself when the startup fails; await it)."
    )


# ---- step 2: stop_server ----------------------------------------------------------------


@pytest.mark.task(2)
async def test_stop_runs_the_shutdown_and_frees_the_port() -> None:
    """stop_server ends the task, runs the app's lifespan shutdown and closes the port."""
    app = ProbeApp()
    async with grader_server(app) as (server, url, task):
        running = rh.RunningServer(server, task, url)
        await within(20, rh.stop_server(running), what="stop_server(running)")
        assert task.done(), "after stop_server returned, the server's task was still running."
        assert app.lifespan_events == ["startup", "shutdown"], (
            f"the app's lifespan ran {app.lifespan_events}; expected ['startup', 'shutdown']. "
            "Set `server.should_exit = True` and await the task: cancelling it skips the "
            "graceful shutdown (and the app's cleanup)."
        )
        assert not await accepts_connections(port_of(url)), (
            "after stop_server the port still accepts connections; the server must close "
            "its listening socket (a graceful exit does)."
        )


@pytest.mark.task(2)
async def test_stop_lets_the_request_in_flight_finish() -> None:
    """A request being served when stop_server is called still gets its answer."""
    app = ProbeApp()
    async with learner_server(app) as running:
        request = asyncio.create_task(ping_slow(running.url))
        try:
            await within(10, app.slow_started.wait(), what="the slow request to arrive")
            stopping = asyncio.create_task(rh.stop_server(running))
            await asyncio.sleep(0.3)
            still_serving = not stopping.done()
            app.release.set()
            await within(20, asyncio.shield(stopping), what="stop_server(running)")
            response = await within(10, asyncio.shield(request), what="the slow request")
        finally:
            app.release.set()
            await asyncio.wait({request})
        assert still_serving, (
            "stop_server returned while a request was still being served; a graceful stop "
            "waits for in-flight requests (should_exit, then await the task)."
        )
        assert response.status_code == 200, (
            f"the request in flight during stop_server got {response.status_code}; expected 200."
        )


async def ping_slow(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(f"{url}/slow", content=b"slow")


@pytest.mark.task(2)
async def test_stuck_request_is_cut_off_after_the_graceful_timeout() -> None:
    """A request that never finishes is cancelled after graceful_timeout, and the server stops."""
    app = ProbeApp()
    loop = asyncio.get_running_loop()
    async with learner_server(app, graceful_timeout=1) as running:
        request = asyncio.create_task(ping_slow(running.url))
        try:
            await within(10, app.slow_started.wait(), what="the slow request to arrive")
            started = loop.time()
            await within(
                20, rh.stop_server(running), what="stop_server(running) with a stuck request"
            )
            elapsed = loop.time() - started
        finally:
            app.release.set()
            await asyncio.wait({request})
        if not request.cancelled():
            request.exception()
    assert running.task.done(), "stop_server returned while the server task was still running."
    assert elapsed < 8, (
        f"with graceful_timeout=1 and a request that never ends, stop_server took {elapsed:.1f} s; "
        "expected about 1 s. Pass it to uvicorn as Config(timeout_graceful_shutdown=...)."
    )
    assert app.lifespan_events == ["startup", "shutdown"], (
        f"the app's lifespan ran {app.lifespan_events}; expected its shutdown to run even after "
        "the stuck request was cut off."
    )


# ---- step 3: file_chunks ----------------------------------------------------------------


@pytest.mark.task(3)
@pytest.mark.parametrize("size", [0, 5, 200_000])
async def test_file_chunks_cover_the_file(tmp_path: Path, size: int) -> None:
    """file_chunks yields the file's bytes in chunks of chunk_size, the last one shorter."""
    data = bytes(i % 251 for i in range(size))
    path = tmp_path / "artifact.bin"
    path.write_bytes(data)

    async def collect() -> list[bytes]:
        return [c async for c in rh.file_chunks(path, chunk_size=65536)]

    chunks = await within(10, collect(), what=f"file_chunks(<{size}-byte file>, 65536)")
    sizes = [len(c) for c in chunks]
    expected = [65536] * (size // 65536) + ([size % 65536] if size % 65536 else [])
    assert b"".join(chunks) == data and sizes == expected, (
        f"file_chunks on a {size}-byte file with chunk_size=65536 gave chunks of sizes {sizes}; "
        f"expected {expected} holding the file's bytes in order."
    )


# ---- step 4: upload ---------------------------------------------------------------------


@pytest.mark.task(4)
async def test_upload_returns_the_server_hash() -> None:
    """upload posts the chunks as one body and returns the hash the server answered."""
    app = ProbeApp()

    async def three_chunks() -> AsyncIterator[bytes]:
        for piece in (b"alpha ", b"beta ", b"gamma"):
            yield piece

    async with grader_server(app) as (_, url, _task):
        result = await within(20, rh.upload(f"{url}/sha256", three_chunks()), what="upload(...)")
    expected = hashlib.sha256(b"alpha beta gamma").hexdigest()
    assert result == expected, (
        f"upload(url, <b'alpha ', b'beta ', b'gamma'>) returned {result!r}; expected the "
        f"server's 'sha256' field, {expected!r}."
    )


@pytest.mark.task(4)
async def test_upload_streams_while_the_server_reads() -> None:
    """A 32 MiB upload is sent while it is produced: the server never lags far behind."""
    app = ProbeApp()
    lags: list[int] = []
    digest = hashlib.sha256()

    async def stream() -> AsyncIterator[bytes]:
        for n in range(UPLOAD_CHUNKS):
            lags.append(n * UPLOAD_CHUNK - app.received)  # produced but not yet received
            piece = chunk(n)
            digest.update(piece)
            yield piece

    async with grader_server(app) as (_, url, _task):
        result = await within(60, rh.upload(f"{url}/sha256", stream()), what="upload(32 MiB)")
    assert result == digest.hexdigest(), (
        f"upload of 32 MiB returned {result!r}; expected the server's hash {digest.hexdigest()!r}."
    )
    worst = max(lags)
    assert worst < MAX_LAG, (
        f"while upload() consumed the generator, the server had not received up to "
        f"{worst / 2**20:.1f} MiB of what was produced; expected under {MAX_LAG / 2**20:.0f} MiB. "
        "Collecting the chunks before posting holds the whole upload in memory: pass the "
        "async iterable itself, `client.post(url, content=chunks)`."
    )


@pytest.mark.task(4)
async def test_upload_closes_its_connection() -> None:
    """After upload returns, its client is closed: the server sees no open connection."""
    app = ProbeApp()

    async def one_chunk() -> AsyncIterator[bytes]:
        yield b"x" * 1000

    async with grader_server(app) as (server, url, _task):
        await within(20, rh.upload(f"{url}/sha256", one_chunk()), what="upload(...)")
        for _ in range(100):  # up to 2 s for the close to reach the server
            if not server.server_state.connections:
                break
            await asyncio.sleep(0.02)
        open_connections = len(server.server_state.connections)
    assert open_connections == 0, (
        f"after upload() returned, the server still had {open_connections} open connection(s) "
        "from it: the client was not closed. Use `async with httpx.AsyncClient() as client:`."
    )


@pytest.mark.task(4)
async def test_upload_raises_on_an_error_status() -> None:
    """A 500 from the server raises httpx.HTTPStatusError instead of returning."""
    app = ProbeApp()

    async def one_chunk() -> AsyncIterator[bytes]:
        yield b"data"

    async with grader_server(app) as (_, url, _task):
        with pytest.raises(httpx.HTTPStatusError):
            await within(20, rh.upload(f"{url}/broken", one_chunk()), what="upload(url/broken)")


# ---- step 5: hash_remotely --------------------------------------------------------------


@pytest.mark.task(5)
async def test_hash_remotely_matches_the_local_hash(tmp_path: Path) -> None:
    """hash_remotely returns the file's SHA-256, computed by the server, and stops it."""
    data = bytes(range(256)) * 12_000  # about 3 MB
    path = tmp_path / "release.tar"
    path.write_bytes(data)
    app = ProbeApp()
    async with no_server_left("hash_remotely(path, app)"):
        result = await within(60, rh.hash_remotely(path, app), what="hash_remotely(path, app)")
    assert result == hashlib.sha256(data).hexdigest(), (
        f"hash_remotely returned {result!r}; expected {hashlib.sha256(data).hexdigest()!r}."
    )
    assert app.received == len(data), (
        f"the server received {app.received} bytes; expected the file's {len(data)}."
    )
    assert app.lifespan_events == ["startup", "shutdown"], (
        f"the app's lifespan ran {app.lifespan_events}; expected the server started and then "
        "stopped gracefully (stop_server)."
    )


@pytest.mark.task(5)
async def test_server_is_stopped_when_the_upload_fails(tmp_path: Path) -> None:
    """When the upload raises, hash_remotely still stops the server before re-raising."""
    path = tmp_path / "release.tar"
    path.write_bytes(b"payload")
    app = ProbeApp()

    async def broken_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = dict(scope, path="/broken")
        await app(scope, receive, send)

    async with no_server_left("hash_remotely(path, app) with a failing upload"):
        with pytest.raises(httpx.HTTPStatusError):
            await within(60, rh.hash_remotely(path, broken_app), what="hash_remotely(path, app)")
        assert app.lifespan_events == ["startup", "shutdown"], (
            f"after the upload failed, the app's lifespan had run {app.lifespan_events}; expected "
            "['startup', 'shutdown']: stop the server in a `finally:` so that an error does not "
            "leave it running (a task, an open port)."
        )
