"""Grades exercises/26_uvicorn_client/remote_hash.py with real uvicorn servers on loopback sockets.

Real time is unavoidable here (sockets, a server's graceful timeout, threads), so every bound
is a wide ratio: a wrong answer is off by a factor of five or more (a 60 s graceful timeout
against a 1 s limit, a hang against 0.5 s). Streaming is proven by lockstep, not by timing:
a named pipe whose next piece is written only once the server has received the previous one.

Requirements:
- 1: listens on 127.0.0.1 at the reported URL, lifespan started -> test_server_listens_on_loopback_at_its_url
- 1: port 0: each server gets a free port of its own -> test_two_servers_get_two_free_ports
- 1: a failed startup (uvicorn's sys.exit) gives ServerFailedToStart, no task left
  -> test_failed_startup_raises_server_failed_to_start
- 1: a startup that never completes gives ServerFailedToStart after startup_timeout, no task left
  -> test_startup_that_hangs_raises_after_the_startup_timeout
- 1: cancelled during the startup, no task left -> test_cancelled_start_leaves_no_task
- 2: should_exit, the task awaited, lifespan shutdown run, port freed -> test_stop_runs_the_shutdown_and_frees_the_port
- 2: a request in flight still gets its answer -> test_stop_lets_the_request_in_flight_finish
- 2: graceful_timeout reaches uvicorn: a stuck request is cut off -> test_stuck_request_is_cut_off_after_the_graceful_timeout
- 2: at most `limit` seconds, then the exit is forced and the task is done -> test_stop_forces_the_exit_after_its_limit
- 3: the file's bytes in chunk_size pieces -> test_file_chunks_cover_the_file
- 3: each read off the event loop -> test_file_chunks_reads_off_the_loop
- 3: the file closed when the consumer stops early -> test_file_chunks_closes_the_file_when_the_consumer_stops_early
- 4: returns the server's sha256 -> test_upload_returns_the_server_hash
- 4: streamed, never collected -> test_upload_streams_while_the_server_reads
- 4: its own client, closed on success and on an error status
  -> test_upload_closes_its_connection, test_upload_closes_its_connection_after_an_error_status
- 4: raises on an error status -> test_upload_raises_on_an_error_status
- 5: the server's hash of the file, server stopped gracefully -> test_hash_remotely_matches_the_local_hash
- 5: no app means build_hash_app() -> test_hash_remotely_uses_the_hash_app_by_default
- 5: the file goes through file_chunks to the server, never read whole
  -> test_hash_remotely_streams_the_file_as_it_is_read
- 5: the server stopped when the upload raises -> test_server_is_stopped_when_the_upload_fails
- 5: the server stopped when the call is cancelled -> test_server_is_stopped_when_hash_remotely_is_cancelled
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import importlib
import io
import os
import re
import threading
import time
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from katagrader import learner_module, outcome, within

rh = learner_module("remote_hash")

UPLOAD_CHUNK = 64 * 1024
UPLOAD_CHUNKS = 512  # 32 MiB
MAX_LAG = 8 * 1024 * 1024  # a quarter of the upload


async def _noop_app(scope: Any, receive: Any, send: Any) -> None:
    """Nothing: used once below to import uvicorn's protocol modules."""


# uvicorn imports its protocol and lifespan modules the first time a Config is loaded; do it
# now, at import time, so that this import is not mistaken for a blocked event loop.
uvicorn.Config(_noop_app, lifespan="on", log_level="warning").load()
# Likewise httpx imports httpcore when its first client is created, and anyio's asyncio
# backend on its first request (about 0.25 s each here, on the loop): import them now.
for _name in ("httpcore", "h11", "certifi", "anyio._backends._asyncio"):
    importlib.import_module(_name)


# Every httpx client builds an SSL context when it is created, loading the CA bundle: 0.15 to
# 0.3 s of CPU on the event loop on a loaded 2-core machine, even for the http:// URLs used
# here. That is enough to trip the blocked-loop check on a correct answer, so the clients of
# these tests (the learner's and the grader's) share one context, built once at import.
_SHARED_SSL_CONTEXT = httpx.create_ssl_context()
_create_ssl_context = httpx.create_ssl_context


def _shared_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
    if verify is True and cert is None:
        return _SHARED_SSL_CONTEXT
    return _create_ssl_context(verify=verify, cert=cert, trust_env=trust_env)


@pytest.fixture(autouse=True)
def one_ssl_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Share one SSL context between the httpx clients of a test (see above)."""
    # Where the transports look it up (httpx/_transports/default.py imports the name).
    monkeypatch.setattr("httpx._transports.default.create_ssl_context", _shared_ssl_context)


class ProbeApp:
    """The grader's ASGI app: a hashing endpoint that counts what it has received so far,
    a slow endpoint held by an event, a broken endpoint, and a recorded lifespan."""

    def __init__(self, fail_startup: bool = False, hang_startup: bool = False) -> None:
        self.fail_startup = fail_startup
        self.hang_startup = hang_startup
        self.lifespan_task: asyncio.Task[Any] | None = None
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
        self.lifespan_task = asyncio.current_task()  # uvicorn's own task, for the cleanup
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.lifespan_events.append("startup")
                if self.hang_startup:
                    await asyncio.Event().wait()  # a database that never answers
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


async def end_lifespan_task(app: ProbeApp) -> None:
    """uvicorn does not cancel its lifespan task when serve() is cancelled during the
    startup: the grader ends it (the learner cannot reach it)."""
    task = app.lifespan_task
    if task is not None and not task.done():
        task.cancel()
        await asyncio.wait({task})


class FifoFeeder:
    """A named pipe standing for a slow disk: a thread writes `pieces` into it, pausing
    `pause` seconds after each, or (with `received`) waiting until the server has received
    everything written so far. Reading it blocks until the next piece is written."""

    def __init__(
        self,
        path: Path,
        pieces: list[bytes],
        pause: float = 0.0,
        received: Any = None,
        patience: float = 5.0,
    ) -> None:
        os.mkfifo(path)
        self.path = path
        self.pieces = pieces
        self.pause = pause
        self.received = received  # a callable giving the bytes the server has so far
        self.patience = patience
        self.stalled_at: int | None = None  # bytes written when the server stopped following
        self.opened = threading.Event()
        self.stop = False  # set on the way out: write the rest at once, wait for nothing
        self._thread = threading.Thread(target=self._feed, name="fifo-feeder")

    def _feed(self) -> None:
        written = 0
        try:
            with open(self.path, "wb", buffering=0) as fifo:  # blocks until a reader opens
                self.opened.set()
                for piece in self.pieces:
                    fifo.write(piece)
                    written += len(piece)
                    if self.received is not None and self.stalled_at is None:
                        deadline = time.monotonic() + self.patience
                        while (
                            self.received() < written
                            and time.monotonic() < deadline
                            and not self.stop
                        ):
                            time.sleep(0.005)
                        if self.received() < written and not self.stop:
                            self.stalled_at = written  # then write the rest without waiting
                    if not self.stop:
                        time.sleep(self.pause)
        except BrokenPipeError:
            pass  # the reader went away

    def _drain(self) -> None:
        """Unblock the writer whatever the reader did: open the pipe ourselves (its open()
        waits for a reader) and read it empty until the writer is done."""
        self.stop = True
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            while self._thread.is_alive():
                try:
                    os.read(fd, 1 << 16)
                except BlockingIOError:
                    time.sleep(0.005)
        finally:
            os.close(fd)
        self._thread.join()

    async def __aenter__(self) -> FifoFeeder:
        self._thread.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self._drain)  # off the loop: the reader may still need it


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (os.mkfifo)")


def open_files_named(path: Path) -> list[io.IOBase]:
    """File objects on `path` that are still open, wherever they are referenced."""
    return [
        o
        for o in gc.get_objects()
        if isinstance(o, io.IOBase) and getattr(o, "name", None) == str(path) and not o.closed
    ]


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
async def test_two_servers_get_two_free_ports() -> None:
    """Two servers started side by side each get a free port of their own from the OS
    (port 0), not a fixed one."""
    async with learner_server(ProbeApp()) as first, learner_server(ProbeApp()) as second:
        ports = (port_of(first.url), port_of(second.url))
    assert ports[0] != ports[1] and min(ports) >= 1024, (
        f"two servers started side by side got ports {ports}; expected two different free "
        "ports chosen by the OS: pass port=0 to uvicorn.Config (a fixed port clashes with "
        "anything else listening there, and one below 1024 needs root)."
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


@pytest.mark.task(1)
async def test_startup_that_hangs_raises_after_the_startup_timeout() -> None:
    """An app whose startup never completes gives ServerFailedToStart after startup_timeout, no task left."""
    app = ProbeApp(hang_startup=True)
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        _, error = await outcome(
            8,
            rh.start_server(app, startup_timeout=0.5),
            what="start_server(app, startup_timeout=0.5) for an app whose startup never ends",
        )
        elapsed = loop.time() - started
    finally:
        await end_lifespan_task(app)
        for server, task in running_servers():
            await force_stop(server, task)
    assert isinstance(error, rh.ServerFailedToStart), (
        "start_server(app, startup_timeout=0.5), for an app whose startup never completes, "
        + (f"raised {error!r}" if error is not None else "returned")
        + f" after {elapsed:.1f} s; expected ServerFailedToStart once startup_timeout has passed."
    )
    assert elapsed < 5, (
        f"start_server(app, startup_timeout=0.5) raised after {elapsed:.1f} s; expected about "
        "0.5 s: bound the wait with `async with asyncio.timeout(startup_timeout):`."
    )


@pytest.mark.task(1)
async def test_cancelled_start_leaves_no_task() -> None:
    """start_server cancelled during the startup (the caller's own timeout) leaves no task."""
    app = ProbeApp(hang_startup=True)

    async def start_within_half_a_second() -> None:
        async with asyncio.timeout(0.5):  # the caller gives up first (startup_timeout=30)
            await rh.start_server(app, startup_timeout=30)

    try:
        # The engine checks, at the instant this returns, that no task the call started
        # (the server's) is still running.
        _, error = await outcome(
            8,
            start_within_half_a_second(),
            what="start_server(app, startup_timeout=30) cancelled by the caller after 0.5 s",
        )
    finally:
        await end_lifespan_task(app)
        for server, task in running_servers():
            await force_stop(server, task)
    assert isinstance(error, TimeoutError), (
        "start_server, cancelled by the caller's asyncio.timeout(0.5) during a startup that "
        + (f"never ends, raised {error!r}" if error is not None else "never ends, returned")
        + "; expected the cancellation to come back out (a TimeoutError from the caller's "
        "timeout)."
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


@pytest.mark.task(2)
async def test_stop_forces_the_exit_after_its_limit() -> None:
    """stop_server(running, limit=1) returns about `limit` seconds in, the task ended, even when
    the server's own graceful timeout is much longer."""
    app = ProbeApp()
    loop = asyncio.get_running_loop()
    async with learner_server(app, graceful_timeout=60) as running:
        request = asyncio.create_task(ping_slow(running.url))
        try:
            await within(10, app.slow_started.wait(), what="the slow request to arrive")
            started = loop.time()
            await within(
                12,
                rh.stop_server(running, limit=1),
                what="stop_server(running, limit=1) with a stuck request and graceful_timeout=60",
            )
            elapsed = loop.time() - started
            done = running.task.done()
        finally:
            app.release.set()
            await asyncio.wait({request})
            # A forced exit skips the lifespan shutdown, and uvicorn then leaves its lifespan
            # task waiting: not the learner's to end.
            await end_lifespan_task(app)
        if not request.cancelled():
            request.exception()
    assert done, (
        "stop_server(running, limit=1) returned while the server task was still running; after "
        "the limit, force the exit (`server.force_exit = True`, then cancel) and wait for it."
    )
    assert elapsed < 6, (
        f"stop_server(running, limit=1) took {elapsed:.1f} s with a request stuck and "
        "graceful_timeout=60; expected a little over 1 s: wait at most `limit` seconds "
        "(`asyncio.wait({task}, timeout=limit)`), then force the exit."
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


@needs_fifo
@pytest.mark.task(3)
async def test_file_chunks_reads_off_the_loop(tmp_path: Path) -> None:
    """A read that waits (a slow disk, here a pipe fed by a thread) does not block the loop:
    the engine's blocked-loop check stops a read made on the loop after 1 s."""

    async def collect() -> list[bytes]:
        return [c async for c in rh.file_chunks(tmp_path / "slow.bin", chunk_size=4)]

    async with FifoFeeder(tmp_path / "slow.bin", [b"abcd", b"efgh"], pause=2.0):
        chunks = await within(10, collect(), what="file_chunks(<a slow file>, 4)")
    assert chunks == [b"abcd", b"efgh"], (
        f"file_chunks on a file holding b'abcdefgh', read 4 bytes at a time, gave {chunks!r}; "
        "expected [b'abcd', b'efgh']."
    )


@pytest.mark.task(3)
async def test_file_chunks_closes_the_file_when_the_consumer_stops_early(tmp_path: Path) -> None:
    """When the consumer stops after the first chunk (aclose()), the file is closed at once."""
    path = tmp_path / "artifact.bin"
    path.write_bytes(b"x" * 40)
    chunks = rh.file_chunks(path, chunk_size=4)
    first = await within(10, anext(chunks), what="the first chunk of file_chunks(path, 4)")
    assert first == b"xxxx", f"the first chunk was {first!r}; expected b'xxxx'."
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        await within(10, chunks.aclose(), what="closing file_chunks(path, 4) after one chunk")
        still_open = open_files_named(path)  # before anything else can close it
        del chunks
        gc.collect()
    for file in still_open:
        file.close()
    unclosed = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not still_open and not unclosed, (
        "after the consumer stopped file_chunks after one chunk (aclose()), the file "
        + (
            "was still open"
            if still_open
            else "was closed only by the garbage collector (ResourceWarning: unclosed file)"
        )
        + ". Open it with `with path.open('rb') as file:` around the loop, so that the "
        "GeneratorExit raised at the `yield` closes it."
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


@pytest.mark.task(4)
async def test_upload_closes_its_connection_after_an_error_status() -> None:
    """When the server answers 500, upload raises and its client is closed all the same."""
    app = ProbeApp()

    async def one_chunk() -> AsyncIterator[bytes]:
        yield b"data"

    async with grader_server(app) as (server, url, _task):
        _, error = await outcome(
            20, rh.upload(f"{url}/broken", one_chunk()), what="upload(url/broken)"
        )
        for _ in range(100):  # up to 2 s for the close to reach the server
            if not server.server_state.connections:
                break
            await asyncio.sleep(0.02)
        open_connections = len(server.server_state.connections)
    assert isinstance(error, httpx.HTTPStatusError), (
        f"upload to an endpoint answering 500 gave {error!r}; expected httpx.HTTPStatusError."
    )
    assert open_connections == 0, (
        f"after upload() raised for a 500, the server still had {open_connections} open "
        "connection(s) from it: the client was closed only on success. "
        "`async with httpx.AsyncClient() as client:` closes it on every way out."
    )


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


@pytest.mark.task(5)
async def test_server_is_stopped_when_hash_remotely_is_cancelled(tmp_path: Path) -> None:
    """When the caller cancels hash_remotely during the upload, the server is still stopped."""
    path = tmp_path / "release.tar"
    path.write_bytes(b"payload")
    app = ProbeApp()

    async def slow_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = dict(scope, path="/slow")  # the request is held until released
        await app(scope, receive, send)

    async with no_server_left("hash_remotely(path, app), cancelled during the upload"):
        call = asyncio.create_task(rh.hash_remotely(path, slow_app))
        arrived = asyncio.create_task(app.slow_started.wait())
        try:
            await within(
                20,
                asyncio.wait({call, arrived}, return_when=asyncio.FIRST_COMPLETED),
                what="hash_remotely(path, app): the upload to reach the server",
            )
            if call.done():
                call.result()  # it ended before its upload reached the server: that is the verdict
            call.cancel()
            app.release.set()  # the held request may end now: the stop need not wait for it
            await within(
                30, asyncio.wait({call}), what="hash_remotely(path, app) to end after cancel()"
            )
        finally:
            app.release.set()
            arrived.cancel()
            if not call.done():
                call.cancel()
            await asyncio.wait({call, arrived})
        assert app.lifespan_events == ["startup", "shutdown"], (
            f"after hash_remotely was cancelled, the app's lifespan had run {app.lifespan_events}; "
            "expected ['startup', 'shutdown']: CancelledError is not an Exception, so only a "
            "`finally:` stops the server on that way out."
        )


@pytest.mark.task(5)
async def test_hash_remotely_uses_the_hash_app_by_default(tmp_path: Path) -> None:
    """hash_remotely(path) without an app serves build_hash_app() and returns its hash."""
    data = b"default app " * 1000
    path = tmp_path / "release.tar"
    path.write_bytes(data)
    async with no_server_left("hash_remotely(path)"):
        result = await within(60, rh.hash_remotely(path), what="hash_remotely(path)")
    assert result == hashlib.sha256(data).hexdigest(), (
        f"hash_remotely(path) returned {result!r}; expected {hashlib.sha256(data).hexdigest()!r}."
    )


@needs_fifo
@pytest.mark.task(5)
async def test_hash_remotely_streams_the_file_as_it_is_read(tmp_path: Path) -> None:
    """Each piece of the file reaches the server before the next one is even written: the
    file goes through file_chunks and upload, never read whole."""
    app = ProbeApp()
    pieces = [bytes([n]) * UPLOAD_CHUNK for n in range(8)]
    path = tmp_path / "release.tar"
    async with FifoFeeder(path, pieces, received=lambda: app.received) as feeder:
        async with no_server_left("hash_remotely(path, app)"):
            result = await within(
                60, rh.hash_remotely(path, app), what="hash_remotely(<a file written as read>, app)"
            )
    expected = hashlib.sha256(b"".join(pieces)).hexdigest()
    assert result == expected, f"hash_remotely returned {result!r}; expected {expected!r}."
    assert feeder.stalled_at is None, (
        f"the file was written {UPLOAD_CHUNK // 1024} KiB at a time, each piece once the server "
        f"had received the one before; {feeder.patience:.0f} s after {feeder.stalled_at} bytes "
        f"were written, the server had received {app.received}. The file was not streamed: "
        "upload `file_chunks(path, chunk_size)` itself (not the file read whole, not the "
        "chunks collected first)."
    )
