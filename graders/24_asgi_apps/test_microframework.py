"""Grades exercises/24_asgi_apps/microframework.py: routes, error pages and a lifespan.

The grader plays the server (one long lifespan call, requests whose scope carries a copy of
the lifespan state, or none) on the virtual clock; the grader's lifespan takes a virtual
second to open and one to close, so *when* each lifespan answer is sent is observable.

Requirements:
- 1: each request reaches the handler of its (case-insensitive) method and path
  -> test_requests_reach_the_handler_of_their_method_and_path
- 1: the Request holds method, path, lower-case headers and the whole body -> test_handler_gets_the_whole_request
- 1: a client gone mid-upload gets nothing, raises nothing -> test_client_gone_mid_upload_gets_nothing
- 1: ... whatever the route: the body is read before routing, so no 404/405 is sent either
  -> test_client_gone_mid_upload_to_an_unrouted_request_gets_nothing
- 1: a second handler for a pair raises ValueError -> test_second_handler_for_a_route_is_refused
- 1: the request's state is scope["state"], else self.state
  -> test_state_reaches_requests_through_httpx, test_state_reaches_requests_when_the_server_keeps_none
- 1: scope["state"] wins over self.state when the two differ -> test_request_state_is_the_scope_state
- 2: 404 for an unknown path, also one under a known path (/items/extra)
  -> test_unknown_path_is_not_found
- 2: 405 for a known path with another method -> test_known_path_with_another_method_is_not_allowed
- 3: a raising handler gives 500, lands in errors, the app keeps serving
  -> test_failing_handler_answers_500_and_the_app_keeps_serving
- 3: a cancelled handler is not an error: the cancellation goes through, nothing sent or kept
  -> test_cancelled_handler_is_not_an_error
- 4: entered before startup.complete, exited (to the end) before shutdown.complete, not before
  -> test_lifespan_is_entered_at_startup_and_exited_at_shutdown
- 4: the state is created once and reaches every request -> test_state_is_created_once_and_reaches_every_request
- 4: the state goes into scope["state"] (through httpx and asgi-lifespan) -> test_state_reaches_requests_through_httpx
- 4: the state goes into self.state -> test_state_reaches_requests_when_the_server_keeps_none
- 4: a cleanup that raises is answered shutdown.failed with its error -> test_failing_cleanup_is_reported
- 4: no lifespan: both messages still answered -> test_app_without_lifespan_starts_and_stops
- 5: a startup that hangs fails after exactly startup_timeout, with a message
  -> test_hanging_startup_fails_after_the_timeout
- 5: a startup within the timeout succeeds, and the timeout bounds only the startup
  -> test_slow_startup_within_the_timeout_succeeds
- 5: a raising lifespan is reported with its error -> test_failing_startup_is_reported
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from katagrader import learner_module, outcome, within

fw = learner_module("microframework")


class Server:
    """The server's side of an ASGI app, scripted: one long lifespan call, and requests.

    Like uvicorn, it gives the lifespan a `state` dict and every request a shallow copy of
    it. Leaving the `async with` block cancels a lifespan call that is still running.
    """

    def __init__(self, app: Any, provides_state: bool = True) -> None:
        self.app = app
        self.provides_state = provides_state  # False: a server without lifespan state
        self.state: dict[str, Any] = {}
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Server:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            await asyncio.wait({self.task}, timeout=5)
        if self.task is not None and self.task.done() and not self.task.cancelled():
            self.task.exception()  # retrieved: the test already reported what mattered

    async def _lifespan_call(self) -> None:
        scope: dict[str, Any] = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
        }
        if self.provides_state:
            scope["state"] = self.state
        await self.app(scope, self.inbox.get, self._put)

    async def _put(self, message: Any) -> None:
        await self.outbox.put(dict(message))

    async def _answer(self) -> dict[str, Any] | None:
        assert self.task is not None
        getter = asyncio.ensure_future(self.outbox.get())
        try:
            await asyncio.wait({getter, self.task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not getter.done():
                getter.cancel()
                await asyncio.wait({getter})
        if getter.done() and not getter.cancelled():
            return getter.result()
        if self.task.exception() is not None:
            raise self.task.exception()  # type: ignore[misc]
        return None

    async def lifespan(self, message_type: str, seconds: float = 60) -> dict[str, Any] | None:
        """Send a lifespan message; return the app's answer (None if the call just ended)."""
        if self.task is None:
            self.task = asyncio.create_task(self._lifespan_call())
        await self.inbox.put({"type": message_type})
        return await within(seconds, self._answer(), what=f"the app's answer to {message_type}")

    async def request(
        self,
        method: str,
        path: str,
        chunks: tuple[bytes, ...] = (b"",),
        headers: tuple[tuple[bytes, bytes], ...] = (),
        extra_state: dict[str, Any] | None = None,
    ) -> tuple[int, dict[bytes, bytes], bytes]:
        """One HTTP request through the app; returns status, headers and body.

        `extra_state` goes into this request's scope["state"] only, as a middleware in front
        of the app (Starlette's, say) puts per-request values there.
        """
        inbox = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if not inbox:
                await asyncio.Event().wait()  # the client waits for its answer
            return inbox.pop(0)

        async def send(message: Any) -> None:
            sent.append(dict(message))

        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            # New str objects, as a server decodes them from the socket (a literal is
            # interned, and `path is "/items"` would pass by luck): compare with ==.
            "method": method.encode().decode(),
            "scheme": "http",
            "path": path.encode().decode(),
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": list(headers),
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        if self.provides_state:
            scope["state"] = {**self.state, **(extra_state or {})}
        call = f"app(<http {method} {path}>, receive, send)"
        await within(10, self.app(scope, receive, send), what=call)
        types = [m.get("type") for m in sent]
        assert types == ["http.response.start", "http.response.body"], (
            f"{call} sent {types}; expected one http.response.start then one "
            "http.response.body (send_response does that for you)."
        )
        found = {bytes(k).lower(): bytes(v) for k, v in sent[0].get("headers", [])}
        return sent[0]["status"], found, sent[1].get("body", b"")


class Pool:
    """What the grader's lifespan sets up: a connection pool, open until shutdown."""

    def __init__(self) -> None:
        self.closed = False


def probed_lifespan(
    log: list[str], delay: float = 1.0, hang: bool = False, fail: Exception | None = None
) -> Any:
    """A lifespan that takes `delay` virtual seconds to open a Pool and one to close it, and
    records its life."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        log.append("enter")
        await asyncio.sleep(delay)
        if hang:
            await asyncio.Event().wait()  # a database that never answers
        if fail is not None:
            raise fail
        pool = Pool()
        log.append("ready")
        try:
            yield {"pool": pool, "greeting": "hello"}
        finally:
            await asyncio.sleep(1)  # closing the pool takes a (virtual) second
            pool.closed = True
            log.append("exit")

    return lifespan


def echo_handler(seen: list[Any]) -> Any:
    async def handler(request: Any) -> Any:
        seen.append(request)
        return fw.Response(200, f"{request.method} {request.path}".encode())

    return handler


# ---- step 1: routes ---------------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_requests_reach_the_handler_of_their_method_and_path() -> None:
    """Each request is served by the handler registered for its method and path."""
    app = fw.App()
    seen: list[Any] = []
    for method, path in [("GET", "/items"), ("POST", "/items"), ("GET", "/users")]:
        app.add_route(method, path, echo_handler(seen))

    async def special(request: Any) -> Any:
        return fw.Response(202, b"special", "application/json")

    app.add_route("delete", "/items", special)
    async with Server(app) as server:
        for method, path in [("GET", "/items"), ("POST", "/items"), ("GET", "/users")]:
            status, _, body = await server.request(method, path)
            assert (status, body) == (200, f"{method} {path}".encode()), (
                f"{method} {path} was answered {status} {body!r}; expected 200 from the handler "
                f"registered with add_route({method!r}, {path!r}, ...)."
            )
        status, headers, body = await server.request("DELETE", "/items")
    assert (status, body, headers.get(b"content-type")) == (202, b"special", b"application/json"), (
        f"DELETE /items (registered as add_route('delete', ...)) was answered {status} {body!r} "
        f"{headers.get(b'content-type')!r}; expected the handler's own Response: 202, "
        "b'special', application/json. Methods are case-insensitive: store them upper-case."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_handler_gets_the_whole_request() -> None:
    """The Request holds the method, the path, lower-case headers and the whole body."""
    app = fw.App()
    seen: list[Any] = []
    app.add_route("PUT", "/upload", echo_handler(seen))
    async with Server(app) as server:
        await server.request(
            "PUT",
            "/upload",
            chunks=(b"first,", b"second,", b"third"),
            headers=((b"X-Trace", b"t1"),),
        )
    assert len(seen) == 1, f"the handler ran {len(seen)} times for one request; expected once."
    request = seen[0]
    assert (request.method, request.path, request.body) == (
        "PUT",
        "/upload",
        b"first,second,third",
    ), (
        f"the handler got method={request.method!r}, path={request.path!r}, body={request.body!r}; "
        "expected 'PUT', '/upload' and the 3 chunks joined (read_body does that)."
    )
    assert request.headers.get("x-trace") == "t1", (
        f"the handler got headers {request.headers!r}; expected 'x-trace': 't1' (str, lower-case "
        "names)."
    )


async def assert_gone_client_gets_nothing(method: str, path: str, why: str = "") -> None:
    """A client that sends half a body to `method path`, then disconnects: the app (routes
    GET /items and PUT /upload) must call no handler, send nothing and raise nothing."""
    app = fw.App()
    seen: list[Any] = []
    app.add_route("GET", "/items", echo_handler(seen))
    app.add_route("PUT", "/upload", echo_handler(seen))
    inbox: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"half", "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        if not inbox:
            await asyncio.Event().wait()
        return inbox.pop(0)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = {"type": "http", "method": method, "path": path, "headers": [], "state": {}}
    call = f"app(<http {method} {path}>, ...) whose client disconnects mid-upload"
    _, error = await outcome(10, app(scope, receive, send), what=call)
    assert error is None and not sent and not seen, (
        f"{call} "
        + (f"raised {error!r}" if error is not None else "returned")
        + f", sent {[m.get('type') for m in sent]} and called the handler {len(seen)} time(s); "
        "expected nothing sent, no handler called and nothing raised: read_body raises "
        "ClientDisconnected, and nobody is listening any more." + (f" {why}" if why else "")
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_client_gone_mid_upload_gets_nothing() -> None:
    """A client that disconnects mid-upload: the handler is not called, nothing is sent, and
    nothing is raised."""
    await assert_gone_client_gets_nothing("PUT", "/upload")


@pytest.mark.task(1)
@pytest.mark.looptime
@pytest.mark.parametrize(("method", "path"), [("PUT", "/nowhere"), ("PUT", "/items")])
async def test_client_gone_mid_upload_to_an_unrouted_request_gets_nothing(
    method: str, path: str
) -> None:
    """A client that disconnects mid-upload to a path or method with no route gets nothing
    either: no 404 or 405 is sent."""
    await assert_gone_client_gets_nothing(
        method,
        path,
        "That holds for every request, routed or not: read the body first, then route, so "
        "a 404 or 405 goes only to a client that is still there.",
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_second_handler_for_a_route_is_refused() -> None:
    """add_route raises ValueError when the method and path already have a handler."""
    app = fw.App()
    app.add_route("GET", "/items", echo_handler([]))
    with pytest.raises(ValueError):
        app.add_route("get", "/items", echo_handler([]))


# ---- step 2: 404 and 405 ----------------------------------------------------------------


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_unknown_path_is_not_found() -> None:
    """A path no route has answers 404."""
    app = fw.App()
    app.add_route("GET", "/items", echo_handler([]))
    async with Server(app) as server:
        paths = ("/nowhere", "/a", "/items/extra")
        answers = [await server.request("GET", path) for path in paths]
    for path, (status, _, body) in zip(paths, answers, strict=True):
        assert (status, body) == (404, b"not found"), (
            f"GET {path} was answered {status} {body!r}; expected fw.NOT_FOUND (404): no route "
            "has that path (the only one is /items). A path is known only when it equals a "
            "route's path: /items/extra is not /items (no prefix match)."
        )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_known_path_with_another_method_is_not_allowed() -> None:
    """A path that exists, requested with a method it has no handler for, answers 405."""
    app = fw.App()
    app.add_route("GET", "/items", echo_handler([]))
    async with Server(app) as server:
        status, _, body = await server.request("POST", "/items")
    assert (status, body) == (405, b"method not allowed"), (
        f"POST /items (only GET /items exists) was answered {status} {body!r}; expected "
        "fw.METHOD_NOT_ALLOWED (405): the path exists, the method does not."
    )


# ---- step 3: 500 ------------------------------------------------------------------------


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_failing_handler_answers_500_and_the_app_keeps_serving() -> None:
    """A handler that raises gives a 500, its error is kept, and the next request is served."""
    app = fw.App()

    async def broken(request: Any) -> Any:
        raise KeyError("missing-code")

    app.add_route("GET", "/broken", broken)
    app.add_route("GET", "/fine", echo_handler([]))
    async with Server(app) as server:
        status, _, body = await server.request("GET", "/broken")
        assert (status, body) == (500, b"internal server error"), (
            f"GET /broken (its handler raises KeyError) was answered {status} {body!r}; expected "
            "fw.INTERNAL_ERROR (500). Catch the handler's Exception and answer 500: an error "
            "escaping the app makes the server drop the connection with no answer."
        )
        status, _, _ = await server.request("GET", "/fine")
    assert status == 200, f"after the 500, GET /fine was answered {status}; expected 200."
    assert [type(e) for e in app.errors] == [KeyError], (
        f"app.errors is {app.errors!r} after one failing request; expected [KeyError(...)], the "
        "handler's exception kept for the logs."
    )


@pytest.mark.task(3)
async def test_cancelled_handler_is_not_an_error() -> None:
    """A handler cancelled mid-request (the server shutting down, the client gone) is not an
    error: the cancellation goes through the app, nothing is sent, nothing is kept."""
    app = fw.App()
    started = asyncio.Event()

    async def slow(request: Any) -> Any:
        started.set()
        await asyncio.Event().wait()

    app.add_route("GET", "/slow", slow)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/slow",
        "raw_path": b"/slow",
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    call = asyncio.ensure_future(app(scope, receive, send))
    try:
        await within(10, started.wait(), what="the handler of GET /slow to start")
    finally:
        call.cancel()
        await asyncio.wait({call}, timeout=5)
    types = [m.get("type") for m in sent]
    assert call.cancelled(), (
        "the request task was cancelled while its handler awaited, and the app "
        + (
            f"returned normally after sending {types}"
            if call.done() and call.exception() is None
            else f"raised {call.exception()!r}"
            if call.done()
            else "had not ended 5 s later"
        )
        + "; expected the CancelledError to go through. Catch `Exception` around the handler, "
        "not `BaseException`: a cancellation is the server stopping the request, not a "
        "handler error."
    )
    assert not sent and not app.errors, (
        f"a cancelled handler led the app to send {types} and keep errors {app.errors!r}; "
        "expected nothing sent and nothing kept: a cancellation is not a 500."
    )


# ---- step 4: lifespan and state ---------------------------------------------------------


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_lifespan_is_entered_at_startup_and_exited_at_shutdown() -> None:
    """startup enters the lifespan and answers complete; shutdown exits it and answers complete."""
    log: list[str] = []
    app = fw.App(lifespan=probed_lifespan(log))
    async with Server(app) as server:
        answer = await server.lifespan("lifespan.startup")
        assert answer == {"type": "lifespan.startup.complete"}, (
            f"the app answered lifespan.startup with {answer!r}; expected "
            "{'type': 'lifespan.startup.complete'}."
        )
        assert log == ["enter", "ready"], (
            f"when startup was complete the lifespan had done {log}; expected ['enter', 'ready']: "
            "enter it (run it up to its yield) before answering."
        )
        answer = await server.lifespan("lifespan.shutdown")
        assert answer == {"type": "lifespan.shutdown.complete"}, (
            f"the app answered lifespan.shutdown with {answer!r}; expected "
            "{'type': 'lifespan.shutdown.complete'}."
        )
        assert log == ["enter", "ready", "exit"], (
            f"when the app answered lifespan.shutdown.complete the lifespan had done {log}; "
            "expected it exited once, at shutdown, and completely (its cleanup takes a second) "
            "before the answer: the server takes that answer as 'the app is done'."
        )
        assert server.task is not None
        await within(5, asyncio.shield(server.task), what="the lifespan call, after shutdown")


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_state_is_created_once_and_reaches_every_request() -> None:
    """Every request sees the same state object the lifespan yielded, created once."""
    log: list[str] = []
    seen: list[Any] = []
    app = fw.App(lifespan=probed_lifespan(log))
    app.add_route("GET", "/items", echo_handler(seen))
    async with Server(app) as server:
        await server.lifespan("lifespan.startup")
        for _ in range(3):
            await server.request("GET", "/items")
        pools = [request.state.get("pool") for request in seen]
        assert log.count("enter") == 1, (
            f"the lifespan was entered {log.count('enter')} times for 3 requests; expected once, "
            "at startup. State that costs a connection must be created once per process, not "
            "once per request."
        )
        assert all(p is not None for p in pools) and len({id(p) for p in pools}) == 1, (
            f"the 3 requests saw request.state['pool'] = {pools}; expected the one Pool the "
            "lifespan yielded, in every request."
        )
        assert not pools[0].closed, "the pool was closed while the app was still serving."
        await server.lifespan("lifespan.shutdown")
    assert pools[0].closed, "after shutdown the pool is still open; exit the lifespan."


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_state_reaches_requests_through_httpx() -> None:
    """Through asgi-lifespan and httpx's ASGITransport, handlers see the lifespan's state."""
    log: list[str] = []
    app = fw.App(lifespan=probed_lifespan(log))

    async def greet(request: Any) -> Any:
        return fw.Response(200, request.state["greeting"].encode())

    app.add_route("GET", "/greet", greet)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await within(10, client.get("/greet"), what="client.get('/greet')")
    assert (response.status_code, response.content) == (200, b"hello"), (
        f"GET /greet answered {response.status_code} {response.content!r}; expected 200 b'hello', "
        "the lifespan state's 'greeting'."
    )
    assert log == ["enter", "ready", "exit"], f"the lifespan ran as {log}; expected once."


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_state_reaches_requests_when_the_server_keeps_none() -> None:
    """With a server that provides no scope["state"], handlers get the app's own state."""
    log: list[str] = []
    seen: list[Any] = []
    app = fw.App(lifespan=probed_lifespan(log))
    app.add_route("GET", "/items", echo_handler(seen))
    async with Server(app, provides_state=False) as server:
        await server.lifespan("lifespan.startup")
        status, _, body = await server.request("GET", "/items")
        await server.lifespan("lifespan.shutdown")
    assert status == 200 and seen, (
        f"GET /items, on a server whose scopes carry no 'state', was answered {status} {body!r}; "
        "expected 200 from the handler: without scope['state'], use the app's own self.state."
    )
    pool = seen[0].state.get("pool")
    assert isinstance(pool, Pool), (
        f"on a server whose scopes carry no 'state', the handler's request.state was "
        f"{seen[0].state!r}; expected the lifespan's state (its 'pool'), kept in self.state."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_request_state_is_the_scope_state() -> None:
    """When the server provides scope["state"], the request's state is that, not self.state."""
    log: list[str] = []
    seen: list[Any] = []
    app = fw.App(lifespan=probed_lifespan(log))
    app.add_route("GET", "/items", echo_handler(seen))
    async with Server(app) as server:
        await server.lifespan("lifespan.startup")
        status, _, body = await server.request(
            "GET", "/items", extra_state={"request_id": "req-42"}
        )
        await server.lifespan("lifespan.shutdown")
    assert status == 200 and seen, f"GET /items was answered {status} {body!r}; expected 200."
    state = seen[0].state
    assert state.get("request_id") == "req-42" and isinstance(state.get("pool"), Pool), (
        "a middleware put 'request_id': 'req-42' into this request's scope['state'] (next to "
        f"the lifespan's 'pool'); the handler's request.state was {dict(state)!r}; expected "
        "the scope's state, with both. When the server provides scope['state'], that is the "
        "request's state; self.state is only the fallback for a server that provides none."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_app_without_lifespan_starts_and_stops() -> None:
    """An App with no lifespan still answers startup and shutdown."""
    async with Server(fw.App()) as server:
        answers = [
            await server.lifespan("lifespan.startup"),
            await server.lifespan("lifespan.shutdown"),
        ]
    types = [a.get("type") if a else None for a in answers]
    assert types == ["lifespan.startup.complete", "lifespan.shutdown.complete"], (
        f"App() with lifespan=None answered {types}; expected startup and shutdown complete."
    )


# ---- step 5: failed startups ------------------------------------------------------------


@pytest.mark.task(5)
@pytest.mark.looptime
async def test_hanging_startup_fails_after_the_timeout() -> None:
    """A lifespan that never reaches its yield is reported as failed after startup_timeout."""
    log: list[str] = []
    app = fw.App(lifespan=probed_lifespan(log, hang=True), startup_timeout=5.0)
    loop = asyncio.get_running_loop()
    async with Server(app) as server:
        started = loop.time()
        answer = await server.lifespan("lifespan.startup", seconds=60)
        elapsed = loop.time() - started
    assert answer is not None and answer.get("type") == "lifespan.startup.failed", (
        f"with a lifespan that never reaches its yield and startup_timeout=5, the app answered "
        f"{answer!r}; expected lifespan.startup.failed. Wrap the startup in "
        "`async with asyncio.timeout(self.startup_timeout):`."
    )
    assert isinstance(answer.get("message"), str) and answer["message"], (
        "lifespan.startup.failed carries a 'message' (a str) saying why, for the server's log."
    )
    assert 5.0 <= elapsed < 6.0, (
        f"startup failed after {elapsed:g} s of loop time; expected after startup_timeout (5 s)."
    )


@pytest.mark.task(5)
@pytest.mark.looptime
async def test_slow_startup_within_the_timeout_succeeds() -> None:
    """A lifespan that needs 3 s with a 5 s timeout starts normally, and the timeout, which
    bounds only the startup, does not end it 10 s later."""
    log: list[str] = []
    app = fw.App(lifespan=probed_lifespan(log, delay=3.0), startup_timeout=5.0)
    async with Server(app) as server:
        answer = await server.lifespan("lifespan.startup")
        await asyncio.sleep(10)  # the app serves for a while, past startup_timeout
        assert server.task is not None
        alive = not server.task.done()
        shutdown = await server.lifespan("lifespan.shutdown")
    assert answer == {"type": "lifespan.startup.complete"}, (
        f"a 3 s startup with startup_timeout=5 was answered {answer!r}; expected complete."
    )
    assert alive and shutdown == {"type": "lifespan.shutdown.complete"}, (
        "10 s after a 3 s startup (startup_timeout=5) the lifespan call had "
        + ("ended" if not alive else "gone on")
        + f", and lifespan.shutdown was answered {shutdown!r}; expected the call still "
        "running and {'type': 'lifespan.shutdown.complete'}: startup_timeout bounds only the "
        "entering of the lifespan, not the life of the app."
    )


@pytest.mark.task(5)
@pytest.mark.looptime
async def test_failing_startup_is_reported() -> None:
    """A lifespan that raises before its yield is reported with lifespan.startup.failed."""
    log: list[str] = []
    app = fw.App(lifespan=probed_lifespan(log, fail=ConnectionRefusedError("db is down")))
    async with Server(app) as server:
        answer = await server.lifespan("lifespan.startup")
    assert answer is not None and answer.get("type") == "lifespan.startup.failed", (
        f"with a lifespan raising ConnectionRefusedError('db is down'), the app answered "
        f"{answer!r}; expected lifespan.startup.failed (an exception escaping the lifespan "
        "call makes the server guess)."
    )
    assert "db is down" in str(answer.get("message")), (
        f"lifespan.startup.failed came with message {answer.get('message')!r}; expected it to "
        "name the error ('db is down')."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_failing_cleanup_is_reported() -> None:
    """A lifespan whose cleanup raises is answered lifespan.shutdown.failed with a message."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        yield {}
        raise OSError("could not flush the pool")

    async with Server(fw.App(lifespan=lifespan)) as server:
        await server.lifespan("lifespan.startup")
        answer = await server.lifespan("lifespan.shutdown")
    assert answer is not None and answer.get("type") == "lifespan.shutdown.failed", (
        f"with a lifespan whose cleanup raises OSError('could not flush the pool'), the app "
        f"answered lifespan.shutdown with {answer!r}; expected lifespan.shutdown.failed."
    )
    assert "could not flush the pool" in str(answer.get("message")), (
        f"lifespan.shutdown.failed came with message {answer.get('message')!r}; expected it to "
        "name the error."
    )
