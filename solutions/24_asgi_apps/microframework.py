"""A micro web framework: an ASGI app class with routes, error pages and a lifespan.

Kata 23 wrote an ASGI app as one function. Real frameworks make the app an *object*: it
holds a routing table, a lifespan and shared state, and its `__call__` is the ASGI entry
point, so the server cannot tell it from a function. This module is such a framework,
small enough to read in one sitting; `create_app()` builds a link shortener with it.

1. `App.add_route` registers a handler; `App.__call__` serves an HTTP request with it.
2. Unknown paths answer 404, a known path with another method 405.
3. A handler that raises answers 500, and the app keeps serving.
4. The lifespan (an `@asynccontextmanager`) is entered once at startup, its state reaches
   every request, and it is exited at shutdown.
5. A startup that fails or takes longer than `startup_timeout` is reported with
   `lifespan.startup.failed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class Request:
    """What a handler gets: the request, its whole body, and the lifespan's state."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    state: MutableMapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Response:
    """What a handler returns."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain"


Handler = Callable[[Request], Awaitable[Response]]
Lifespan = Callable[["App"], contextlib.AbstractAsyncContextManager[dict[str, Any]]]


class ClientDisconnected(Exception):
    """The client went away before the request body was complete."""


async def read_body(receive: Receive) -> bytes:
    """The whole request body, from as many `http.request` messages as it takes (kata 23)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected("the client disconnected before the body was complete")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_response(send: Send, response: Response) -> None:
    """Send `response` as `http.response.start` then one `http.response.body` (kata 23)."""
    headers = [
        (b"content-type", response.content_type.encode("latin-1")),
        (b"content-length", str(len(response.body)).encode("ascii")),
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


NOT_FOUND = Response(404, b"not found")
METHOD_NOT_ALLOWED = Response(405, b"method not allowed")
INTERNAL_ERROR = Response(500, b"internal server error")


class App:
    """An ASGI application: `await app(scope, receive, send)`, like any ASGI function.

    Args:
        lifespan: a function taking the app and returning an async context manager (write it
            with `@contextlib.asynccontextmanager`); what it yields is the state every
            request sees. None for an app with nothing to set up.
        startup_timeout: how long, in seconds, the lifespan may take to reach its `yield`.

    Example:
        >>> app = App()
        >>> async def hello(request: Request) -> Response:
        ...     return Response(body=b"hello")
        >>> app.add_route("GET", "/", hello)
    """

    def __init__(self, lifespan: Lifespan | None = None, startup_timeout: float = 10.0) -> None:
        self.lifespan = lifespan
        self.startup_timeout = startup_timeout
        self.routes: dict[tuple[str, str], Handler] = {}
        self.state: dict[str, Any] = {}
        self.errors: list[Exception] = []

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Serve `method path` with `handler`.

        Args:
            method: an HTTP method, any case ("get" means "GET").
            path: the exact path, e.g. "/links".
            handler: an async function taking a `Request` and returning a `Response`.

        Raises:
            ValueError: this method and path already have a handler.

        Example:
            >>> App().add_route("post", "/links", create_link)  # doctest: +SKIP
        """
        key = (method.upper(), path)
        if key in self.routes:
            raise ValueError(f"{key[0]} {path} already has a handler")
        self.routes[key] = handler

    def route(self, method: str, path: str) -> Callable[[Handler], Handler]:
        """Decorator form of `add_route`: `@app.route("GET", "/")`."""

        def register(handler: Handler) -> Handler:
            self.add_route(method, path, handler)
            return handler

        return register

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point: a lifespan scope runs the lifespan, an HTTP scope a request.

        Args:
            scope: what the call is about (`scope["type"]` is "lifespan" or "http").
            receive: the server's messages.
            send: where the answers go.
        """
        if scope["type"] == "lifespan":
            await self._run_lifespan(scope, receive, send)
        elif scope["type"] == "http":
            await self._serve_http(scope, receive, send)
        else:
            raise RuntimeError(f"unsupported scope type {scope['type']!r}")

    async def _serve_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the request, pick its handler, send what the handler returns.

        The request's `state` is the lifespan's state: `scope["state"]` when the server
        provides it (servers that support ASGI lifespan state copy it into every request),
        else `self.state`. 404 for an unknown path, 405 for a known path with another
        method; a handler that raises gets a 500 and its exception is appended to
        `self.errors`. A client that disconnects mid-upload gets nothing.
        """
        try:
            body = await read_body(receive)
        except ClientDisconnected:
            return
        # The lifespan's state is set up once; a server that supports ASGI lifespan state
        # hands every request a (shallow) copy of it in scope["state"], so either source
        # gives the very same objects (the same client, the same pool).
        state = scope.get("state", self.state)
        request = Request(
            method=scope["method"],
            path=scope["path"],
            headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
            body=body,
            state=state,
        )
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            known_path = any(path == request.path for _, path in self.routes)
            await send_response(send, METHOD_NOT_ALLOWED if known_path else NOT_FOUND)
            return
        try:
            response = await handler(request)
        except Exception as exc:
            # One broken handler must not take the server down with it: answer 500, keep
            # the error for the logs, and go on serving. `Exception` (not BaseException)
            # on purpose: a CancelledError must keep travelling so shutdown still works.
            self.errors.append(exc)
            response = INTERNAL_ERROR
        await send_response(send, response)

    async def _run_lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer `lifespan.startup` and `lifespan.shutdown`, entering and exiting the lifespan.

        The lifespan context is entered once, within `startup_timeout` seconds; what it
        yields becomes `self.state` (and fills `scope["state"]` when the server provides it).
        A startup that raises or times out sends `lifespan.startup.failed` with a `message`.
        """
        # The exit stack keeps the lifespan context open *between* the two messages: it is
        # entered at startup and exited at shutdown, in the same long-lived call. (One
        # `async with self.lifespan(self)` around the wait for the shutdown message does the
        # same, as Starlette's router does; the stack lets the timeout cover only the entering
        # and makes the lifespan optional without a second code path.)
        async with contextlib.AsyncExitStack() as stack:
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    try:
                        # A startup that hangs (a database that never answers) would keep the
                        # server from ever serving or even exiting: bound it.
                        async with asyncio.timeout(self.startup_timeout):
                            state = (
                                await stack.enter_async_context(self.lifespan(self))
                                if self.lifespan is not None
                                else {}
                            )
                    except Exception as exc:
                        reason = (
                            f"startup took longer than {self.startup_timeout:g} s"
                            if isinstance(exc, TimeoutError)
                            else f"startup failed: {exc!r}"
                        )
                        await send({"type": "lifespan.startup.failed", "message": reason})
                        return
                    self.state.update(state)
                    if "state" in scope:
                        scope["state"].update(state)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    try:
                        # Leaving the context runs the code after the lifespan's `yield`.
                        await stack.aclose()
                    except Exception as exc:
                        await send({"type": "lifespan.shutdown.failed", "message": repr(exc)})
                        return
                    await send({"type": "lifespan.shutdown.complete"})
                    return


# ---- a service built with the framework (written for you) --------------------------------


class LinkStore:
    """The shortener's storage: connecting takes a while, and it must be closed."""

    def __init__(self) -> None:
        self.links: dict[str, str] = {}
        self.connected = False

    async def connect(self) -> None:
        await asyncio.sleep(0.1)
        self.connected = True

    async def close(self) -> None:
        await asyncio.sleep(0)
        self.connected = False


@contextlib.asynccontextmanager
async def shortener_lifespan(app: App) -> AsyncIterator[dict[str, Any]]:
    """Connect the store once for the whole process; close it at shutdown."""
    store = LinkStore()
    await store.connect()
    try:
        yield {"store": store}
    finally:
        await store.close()


async def create_link(request: Request) -> Response:
    """POST /links with a URL as the body: answers the short code."""
    url = request.body.decode().strip()
    code = hashlib.sha256(url.encode()).hexdigest()[:7]
    request.state["store"].links[code] = url
    return Response(201, code.encode())


async def resolve_link(request: Request) -> Response:
    """POST /resolve with a code as the body: answers the URL (KeyError -> 500 for now)."""
    store: LinkStore = request.state["store"]
    return Response(200, store.links[request.body.decode().strip()].encode())


def create_app() -> App:
    """The link shortener: `uvicorn --factory microframework:create_app`."""
    app = App(lifespan=shortener_lifespan, startup_timeout=5.0)
    app.add_route("POST", "/links", create_link)
    app.add_route("POST", "/resolve", resolve_link)
    return app


async def main() -> None:
    """Drive the shortener by hand: lifespan startup, two requests, shutdown."""
    app = create_app()
    lifespan_inbox: asyncio.Queue[Message] = asyncio.Queue()
    answers: asyncio.Queue[Message] = asyncio.Queue()
    lifespan = asyncio.create_task(app({"type": "lifespan"}, lifespan_inbox.get, answers.put))
    await lifespan_inbox.put({"type": "lifespan.startup"})
    print(await answers.get())

    async def call(path: str, body: bytes) -> None:
        async def receive() -> Message:
            return {"type": "http.request", "body": body}

        async def send(message: Message) -> None:
            print(" ", message)

        scope = {"type": "http", "method": "POST", "path": path, "headers": []}
        await app(scope, receive, send)

    await call("/links", b"https://example.com/a/long/path")
    await call("/resolve", b"nonexistent")
    await lifespan_inbox.put({"type": "lifespan.shutdown"})
    print(await answers.get())
    await lifespan


if __name__ == "__main__":
    asyncio.run(main())
