"""A raw ASGI echo service, written without any framework.

An ASGI application is one coroutine, `app(scope, receive, send)`. The server calls it once
per connection-level event: once for the whole life of the process (`scope["type"] ==
"lifespan"`) and once per HTTP request (`scope["type"] == "http"`). Everything else travels
as small dicts: the app awaits `receive()` to get the next message from the server and
awaits `send(message)` to answer.

This service is what a load balancer and a proxy test suite talk to: `GET /status` is the
health check, `POST /echo` sends the request body straight back.

1. `read_body`: collect the request body from every `http.request` message (`more_body`),
   and raise `ClientDisconnected` if an `http.disconnect` comes first.
2. `send_response`: send `http.response.start` (status, headers), then one
   `http.response.body`.
3. `handle_http`: route `POST /echo` (200, the body back), `GET /status` (204), anything
   else (400); a client that disconnects mid-upload gets nothing sent back.
4. `handle_lifespan`: answer `lifespan.startup` and `lifespan.shutdown`, running the
   service's own startup and shutdown, and report a failed startup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BAD_REQUEST_BODY = b"bad request"
DEFAULT_CONTENT_TYPE = b"application/octet-stream"


class ClientDisconnected(Exception):
    """The client went away before the request body was complete."""


class Service(Protocol):
    """What the process must set up before serving, and tear down afterwards."""

    async def startup(self) -> None: ...
    async def shutdown(self) -> None: ...


class AccessLog:
    """The service's access log: opened at startup, flushed and closed at shutdown."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.opened = False
        self.closed = False

    async def startup(self) -> None:
        await asyncio.sleep(0)  # a real log would open a file or a socket here
        self.opened = True

    async def shutdown(self) -> None:
        await asyncio.sleep(0)
        self.closed = True


def header(scope: Scope, name: bytes) -> bytes | None:
    """The value of request header `name` (lower-case bytes), or None when it is absent."""
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return None


async def read_body(receive: Receive) -> bytes:
    """Read the whole request body, however many `http.request` messages it comes in.

    Args:
        receive: the ASGI receive callable of an HTTP request.

    Returns:
        The body: every message's `body` joined, in order, up to the message whose
        `more_body` is false (or missing).

    Raises:
        ClientDisconnected: an `http.disconnect` message came before the body was complete.

    Example:
        >>> # messages: {"body": b"ab", "more_body": True}, {"body": b"c"}  ->  b"abc"
    """
    # TODO: receive messages until the one whose more_body is false; join their bodies.
    raise NotImplementedError("read_body: collect every chunk of the request body (step 1)")


async def send_response(
    send: Send, status: int, body: bytes = b"", content_type: bytes | None = None
) -> None:
    """Send a complete response: `http.response.start`, then one `http.response.body`.

    Args:
        send: the ASGI send callable of an HTTP request.
        status: the HTTP status code.
        body: the response body (empty for 204).
        content_type: the `content-type` header value, or None to send none.

    The headers are `content-type` (when given) and `content-length` (the body's length),
    except that a 204 No Content response declares no length at all.

    Example:
        >>> # send_response(send, 200, b"hi", b"text/plain") sends
        >>> # {"type": "http.response.start", "status": 200, "headers": [
        >>> #     (b"content-type", b"text/plain"), (b"content-length", b"2")]}
        >>> # {"type": "http.response.body", "body": b"hi"}
    """
    # TODO: send http.response.start (status, headers), then http.response.body.
    raise NotImplementedError("send_response: send the start message, then the body (step 2)")


async def handle_http(scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one HTTP request.

    Args:
        scope: the request's scope (`method`, `path`, `headers`...).
        receive: where the request body and a disconnect come from.
        send: where the response goes.

    Routes: `POST /echo` answers 200 with the request body and the request's content-type
    (`application/octet-stream` when it has none); `GET /status` answers 204 with no body;
    anything else answers 400 with `BAD_REQUEST_BODY` as `text/plain`. A client that
    disconnects while uploading gets nothing sent back, and no exception escapes.

    Example:
        >>> # POST /echo with body b"ping"  ->  200, body b"ping"
    """
    # TODO: route POST /echo, GET /status and everything else; survive a disconnect.
    raise NotImplementedError("handle_http: route the request and answer it (step 3)")


async def handle_lifespan(scope: Scope, receive: Receive, send: Send, service: Service) -> None:
    """Run the service's startup and shutdown when the server says so.

    Args:
        scope: the lifespan scope.
        receive: gives `lifespan.startup`, later `lifespan.shutdown`.
        send: takes the answers.
        service: what to start up and shut down.

    On `lifespan.startup`, await `service.startup()` and send `lifespan.startup.complete`;
    if it raised, send `lifespan.startup.failed` with the error as `message` and return. On
    `lifespan.shutdown`, await `service.shutdown()`, send `lifespan.shutdown.complete` and
    return.

    Example:
        >>> # receive: startup, shutdown  ->  send: startup.complete, shutdown.complete
    """
    # TODO: answer lifespan.startup and lifespan.shutdown, running the service's hooks.
    raise NotImplementedError("handle_lifespan: answer the startup and shutdown messages (step 4)")


SERVICE = AccessLog()


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI application: `uvicorn echo_service:app` serves it."""
    if scope["type"] == "lifespan":
        await handle_lifespan(scope, receive, send, SERVICE)
    elif scope["type"] == "http":
        await handle_http(scope, receive, send)
    else:
        raise RuntimeError(f"unsupported scope type {scope['type']!r}")


async def main() -> None:
    """Drive the app by hand, as a server would, and print what it sends."""
    inbox = [
        {"type": "http.request", "body": b"hello, ", "more_body": True},
        {"type": "http.request", "body": b"world", "more_body": False},
    ]

    async def receive() -> Message:
        return inbox.pop(0)

    async def send(message: Message) -> None:
        print(message)

    scope = {"type": "http", "method": "POST", "path": "/echo", "headers": []}
    await app(scope, receive, send)


if __name__ == "__main__":
    asyncio.run(main())
