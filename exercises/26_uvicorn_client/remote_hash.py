"""Run a real uvicorn server inside your program, stream a file to it, and stop it cleanly.

An integration test, a CLI that needs a local callback server, a desktop app with a web UI:
all of them run an ASGI server *inside* an asyncio program instead of from the command line.
uvicorn allows it: `uvicorn.Server(config).serve()` is a coroutine, so it can run as a task
next to a client that talks to it over a real socket.

1. `start_server`: run uvicorn as a task on 127.0.0.1 with a port the OS picks, wait until it
   listens, and report its URL; fail clearly if it stops before that.
2. `stop_server`: ask the server to exit, let in-flight requests finish, and wait for the
   task, with a deadline.
3. `file_chunks`: an async generator that reads a file piece by piece, off the event loop.
4. `upload`: POST a stream of chunks to a URL with a client of its own, without collecting
   them first, and return the SHA-256 the server computed.
5. `hash_remotely`: all of it end to end: start, upload a file, and always stop.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx  # noqa: F401 (for step 4)
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]
CHUNK_SIZE = 64 * 1024


class ServerFailedToStart(RuntimeError):
    """The server ended (or never listened) before it was ready to serve."""


@dataclass
class RunningServer:
    """A uvicorn server running as a task of the current event loop."""

    server: uvicorn.Server
    task: asyncio.Task[None]
    url: str  # e.g. "http://127.0.0.1:53127", no trailing slash


async def sha256_endpoint(request: Request) -> JSONResponse:
    """POST /sha256: the hash of the body, computed as it streams in (kata 25)."""
    digest = hashlib.sha256()
    size = 0
    async for chunk in request.stream():
        digest.update(chunk)
        size += len(chunk)
    return JSONResponse({"sha256": digest.hexdigest(), "bytes": size})


def build_hash_app() -> Starlette:
    """The hashing service that `hash_remotely` runs by default."""
    return Starlette(routes=[Route("/sha256", sha256_endpoint, methods=["POST"])])


async def start_server(
    app: ASGIApp, graceful_timeout: int = 5, startup_timeout: float = 10.0
) -> RunningServer:
    """Start uvicorn serving `app` as a task, on 127.0.0.1 and a free port.

    Args:
        app: the ASGI application; its lifespan runs (`lifespan="on"`).
        graceful_timeout: at shutdown, how many seconds in-flight requests may take before uvicorn
            cancels them (`timeout_graceful_shutdown`).
        startup_timeout: how long to wait for the server to listen.

    Returns:
        The running server, its task, and its URL with the port the OS chose.

    Raises:
        ServerFailedToStart: the server task ended before listening (for example the app's
            startup failed: uvicorn then calls `sys.exit()`, which must not escape the task),
            or it did not listen within `startup_timeout`.

    Example:
        >>> # running = await start_server(build_hash_app()); running.url
        >>> # 'http://127.0.0.1:53127'
    """
    # TODO: build uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", ...), run
    # TODO: server.serve() as a task, wait for server.started (or the task ending), report the URL.
    raise NotImplementedError(
        "start_server: run uvicorn as a task and wait until it listens (step 1)"
    )


async def stop_server(running: RunningServer, limit: float = 15.0) -> None:
    """Shut the server down gracefully and wait for its task.

    Args:
        running: what `start_server` returned.
        limit: how many seconds to wait for the task; after that, force the exit.

    The server stops accepting connections, lets in-flight requests finish (up to its
    `graceful_timeout`), runs the app's lifespan shutdown, and its task ends.

    Example:
        >>> # await stop_server(running)  # running.task.done() is now True
    """
    # TODO: ask the server to exit gracefully, then wait for its task (at most `limit` seconds).
    raise NotImplementedError("stop_server: stop the server gracefully and await its task (step 2)")


async def file_chunks(path: Path, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
    """Yield the file's content in chunks of `chunk_size` bytes (the last may be shorter).

    Args:
        path: the file to read.
        chunk_size: bytes per chunk.

    Yields:
        The file's bytes, in order; nothing for an empty file. The file is read lazily, one
        chunk per step of the loop, and closed when the loop ends or is abandoned.

    Example:
        >>> # [len(c) async for c in file_chunks(Path("5-bytes"), chunk_size=2)]  ->  [2, 2, 1]
    """
    # TODO: open the file, read chunk_size bytes at a time (off the loop), yield each chunk.
    raise NotImplementedError("file_chunks: yield the file chunk by chunk (step 3)")
    yield b""  # unreachable; the `yield` makes this function an async generator


async def upload(url: str, chunks: AsyncIterable[bytes]) -> str:
    """POST the chunks to `url` as one streamed request body; return the server's SHA-256.

    Args:
        url: the full URL of a hashing endpoint, e.g. "http://127.0.0.1:53127/sha256".
        chunks: the body, produced lazily; it is sent as it is produced, never collected.

    Returns:
        The `"sha256"` field of the server's JSON answer.

    Raises:
        httpx.HTTPStatusError: the server answered an error status.

    Example:
        >>> # await upload(running.url + "/sha256", file_chunks(Path("release.tar")))
    """
    # TODO: POST the chunks (streamed, not collected) with a client you close; return "sha256".
    raise NotImplementedError("upload: stream the chunks to the server (step 4)")


async def hash_remotely(
    path: Path, app: ASGIApp | None = None, chunk_size: int = CHUNK_SIZE
) -> str:
    """Start a server for `app`, upload the file to its /sha256 endpoint, stop the server.

    Args:
        path: the file to hash.
        app: the hashing app (None: `build_hash_app()`).
        chunk_size: bytes per uploaded chunk.

    Returns:
        The SHA-256 the server computed.

    Raises:
        Whatever the start or the upload raised; the server is stopped in every case.

    Example:
        >>> # await hash_remotely(Path("release.tar")) == hashlib.sha256(data).hexdigest()
    """
    # TODO: start the server, upload file_chunks(path) to its /sha256, and always stop it.
    raise NotImplementedError("hash_remotely: start, upload, and always stop (step 5)")


async def main() -> None:
    """Hash this very file through a real server and compare with a local hash."""
    path = Path(__file__)
    remote = await hash_remotely(path)
    local = hashlib.sha256(await asyncio.to_thread(path.read_bytes)).hexdigest()
    print(f"remote {remote}\nlocal  {local}\nmatch: {remote == local}")


if __name__ == "__main__":
    asyncio.run(main())
