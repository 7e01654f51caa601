"""Grades exercises/23_asgi_basics/echo_service.py: the exact ASGI messages a raw app sends.

The grader plays the server with a scripted `receive` (which then waits forever) and a
recording `send` that also notes what the service had done when each message went out, on
the virtual clock: *when* a lifespan answer is sent is checked, not only that it is.

Requirements:
- 1: chunks joined up to more_body false, receive() called once per chunk and never after
  the last -> test_body_sent_in_chunks_is_read_whole
- 1: a message without more_body is a whole body, receive() called once -> test_single_message_body_is_read
- 1: http.disconnect raises ClientDisconnected -> test_disconnect_while_reading_raises
- 2: exactly start then one body, status, bytes headers, content-length -> test_response_is_start_then_body
- 2: content-length is declared without a content-type too -> test_length_is_declared_without_content_type
- 2: a 204 has no content-length and no body -> test_no_content_declares_no_length
- 2: a 204 given a content_type still has no content-length, no body, no other header
  (whether it keeps the content-type is not graded) -> test_no_content_with_a_content_type_declares_no_length
- 3: POST /echo answers the whole body with its content-type -> test_echo_sends_the_body_back
- 3: no content-type means application/octet-stream -> test_echo_without_content_type_is_octet_stream
- 3: GET /status answers 204 -> test_status_is_no_content
- 3: anything else is a 400 text/plain b"bad request" -> test_other_requests_are_bad_requests
- 3: a path that only starts with /echo (/echo/x, /echoes) is a 400 too -> test_echo_path_is_matched_whole
- 3: a disconnect mid-upload sends nothing, raises nothing -> test_disconnect_mid_upload_sends_nothing
- 4: startup.complete then shutdown.complete, the call returns -> test_lifespan_answers_startup_and_shutdown
- 4: startup.complete only after service.startup() finished -> test_startup_complete_waits_for_the_service
- 4: shutdown.complete only after service.shutdown() finished -> test_shutdown_complete_waits_for_the_service
- 4: a failing startup sends startup.failed with str(exc) as message, returns, no shutdown
  -> test_failed_startup_is_reported
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from katagrader import learner_module, within

echo = learner_module("echo_service")


class Script:
    """The server's side of one ASGI call, scripted.

    `receive()` hands out the given messages in order; once they are used up it waits
    forever, as a real server does while the client says nothing more. `calls` counts every
    call of `receive()`, also one that was cancelled while waiting (a peek under a timeout
    is still a call). `send()` records every message, in order, with a snapshot of `watch()`
    taken at that moment.
    """

    def __init__(self, *messages: dict[str, Any], watch: Any = None) -> None:
        self.inbox = list(messages)
        self.calls = 0
        self.sent: list[dict[str, Any]] = []
        self.seen_when_sent: list[Any] = []
        self._watch = watch

    async def receive(self) -> dict[str, Any]:
        self.calls += 1
        if not self.inbox:
            await asyncio.Event().wait()  # the client has nothing more to say
        message = self.inbox.pop(0)
        return {**message, "type": fresh(message["type"])}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(dict(message))
        self.seen_when_sent.append(self._watch() if self._watch else None)

    def types(self) -> list[str]:
        return [m.get("type", "?") for m in self.sent]


def fresh(text: str) -> str:
    """`text` as a new str object, as a server makes it by decoding bytes from the socket: a
    literal is interned, so `scope["method"] is "POST"` would pass by luck where a real
    server's string fails it. Compare strings with ==."""
    return text.encode().decode()


def chunk(body: bytes, more: bool) -> dict[str, Any]:
    return {"type": "http.request", "body": body, "more_body": more}


def http_scope(
    method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": fresh(method),
        "scheme": "http",
        "path": fresh(path),
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers or [],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def response_of(script: Script, call: str) -> tuple[Any, dict[bytes, bytes], bytes]:
    """Check the shape of what was sent (one start, then body messages ending the response)
    and return status, headers and the whole body."""
    types = script.types()
    assert types and types[0] == "http.response.start", (
        f"{call} sent {types}; the first message of a response must be "
        "`http.response.start` (status and headers), before any `http.response.body`. "
        "Revisit the order of the ASGI HTTP messages."
    )
    assert len(types) >= 2 and all(t == "http.response.body" for t in types[1:]), (
        f"{call} sent {types}; expected one `http.response.start` followed by "
        "`http.response.body` message(s), and nothing else."
    )
    bodies = script.sent[1:]
    assert not bodies[-1].get("more_body", False) and all(
        b.get("more_body", False) for b in bodies[:-1]
    ), (
        f"{call} sent body messages with more_body={[b.get('more_body', False) for b in bodies]}; "
        "the last one must have more_body false (or omit it), or the response never ends."
    )
    start = script.sent[0]
    headers: dict[bytes, bytes] = {}
    for key, value in start.get("headers", []):
        assert isinstance(key, bytes) and isinstance(value, bytes), (
            f"{call} sent the header {(key, value)!r}; ASGI headers are pairs of bytes, "
            "e.g. (b'content-type', b'text/plain')."
        )
        headers[key.lower()] = value
    return start.get("status"), headers, b"".join(b.get("body", b"") for b in bodies)


class ProbedService:
    """A service whose startup and shutdown take a virtual second and are recorded."""

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.events: list[str] = []
        self.fail_with = fail_with

    async def startup(self) -> None:
        self.events.append("startup began")
        await asyncio.sleep(1)
        if self.fail_with is not None:
            raise self.fail_with
        self.events.append("startup done")

    async def shutdown(self) -> None:
        self.events.append("shutdown began")
        await asyncio.sleep(1)
        self.events.append("shutdown done")


# ---- step 1: read_body ------------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_body_sent_in_chunks_is_read_whole() -> None:
    """read_body joins every chunk up to the one with more_body false, and reads no further."""
    script = Script(
        chunk(b"alpha,", True), chunk(b"", True), chunk(b"beta,", True), chunk(b"gamma", False)
    )
    body = await within(5, echo.read_body(script.receive), what="read_body(receive) with 4 chunks")
    assert body == b"alpha,beta,gamma", (
        f"read_body(receive) returned {body!r} for the chunks b'alpha,', b'', b'beta,', "
        "b'gamma'; expected b'alpha,beta,gamma'. A body arrives in as many `http.request` "
        "messages as the server likes: keep receiving while `more_body` is true."
    )
    assert script.calls == 4, (
        f"read_body(receive) called receive() {script.calls} times for a 4-chunk body; "
        "expected 4, one per chunk. Once a message has more_body false the body is complete: "
        "a server's receive() then waits for the next event (the client hanging up), so do "
        "not call it again, not even to peek under a timeout."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_single_message_body_is_read() -> None:
    """A body in one message without a more_body key is complete at once."""
    script = Script({"type": "http.request", "body": b"just this"})
    body = await within(5, echo.read_body(script.receive), what="read_body(receive)")
    assert body == b"just this", (
        f"read_body(receive) returned {body!r}; expected b'just this'. A missing `more_body` "
        "means false: the body is complete."
    )
    assert script.calls == 1, (
        f"read_body(receive) called receive() {script.calls} times for a one-message body; "
        "expected once. The body is complete after that message: do not call receive() "
        "again, not even to peek for a disconnect under a timeout."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_disconnect_while_reading_raises() -> None:
    """An http.disconnect before the last chunk raises ClientDisconnected."""
    script = Script(chunk(b"half an upl", True), {"type": "http.disconnect"})
    with pytest.raises(echo.ClientDisconnected):
        await within(5, echo.read_body(script.receive), what="read_body(receive) then a disconnect")


# ---- step 2: send_response --------------------------------------------------------------


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_response_is_start_then_body() -> None:
    """send_response sends http.response.start with status and headers, then the body."""
    script = Script()
    call = "send_response(send, 200, b'hello', b'text/plain')"
    await within(5, echo.send_response(script.send, 200, b"hello", b"text/plain"), what=call)
    status, headers, body = response_of(script, call)
    assert script.types() == ["http.response.start", "http.response.body"], (
        f"{call} sent {script.types()}; expected exactly one `http.response.start` and one "
        "`http.response.body` that ends the response (more_body false, or left out)."
    )
    assert status == 200, f"{call} sent status {status!r}; expected 200."
    assert headers == {b"content-type": b"text/plain", b"content-length": b"5"}, (
        f"{call} sent the headers {headers!r}; expected content-type b'text/plain' and "
        "content-length b'5' (the length of the body, as ASCII digits)."
    )
    assert body == b"hello", f"{call} sent the body {body!r}; expected b'hello'."


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_length_is_declared_without_content_type() -> None:
    """A response given no content_type still declares its content-length."""
    script = Script()
    call = "send_response(send, 200, b'hello')"
    await within(5, echo.send_response(script.send, 200, b"hello"), what=call)
    status, headers, body = response_of(script, call)
    assert (status, headers, body) == (200, {b"content-length": b"5"}, b"hello"), (
        f"{call} sent status {status!r}, headers {headers!r}, body {body!r}; expected 200, "
        "the single header content-length b'5', and b'hello'. The length goes with every "
        "status but 204, with or without a content-type: the two headers are independent."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_no_content_declares_no_length() -> None:
    """A 204 response has no content-type, no content-length and an empty body."""
    script = Script()
    await within(5, echo.send_response(script.send, 204), what="send_response(send, 204)")
    status, headers, body = response_of(script, "send_response(send, 204)")
    assert (status, headers, body) == (204, {}, b""), (
        f"send_response(send, 204) sent status {status!r}, headers {headers!r}, body {body!r}; "
        "expected 204, no headers and no body (a 204 No Content response must not declare a "
        "content-length)."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_no_content_with_a_content_type_declares_no_length() -> None:
    """A 204 given a content_type still has no content-length and no body."""
    script = Script()
    call = "send_response(send, 204, b'', b'text/plain')"
    await within(5, echo.send_response(script.send, 204, b"", b"text/plain"), what=call)
    status, headers, body = response_of(script, call)
    # Whether the 204 keeps the content-type it was given is not graded (the README says so);
    # any other header, a content-length above all, is wrong.
    if headers.get(b"content-type") == b"text/plain":
        del headers[b"content-type"]
    assert (status, headers, body) == (204, {}, b""), (
        f"{call} sent status {status!r}, headers {headers!r} (besides the content-type), "
        f"body {body!r}; expected 204, no content-length and no body. A 204 declares no "
        "length whether or not it is given a content-type."
    )


# ---- step 3: handle_http ----------------------------------------------------------------


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_echo_sends_the_body_back() -> None:
    """POST /echo answers 200 with the whole body and the request's content-type."""
    scope = http_scope("POST", "/echo", [(b"host", b"x"), (b"content-type", b"text/csv")])
    script = Script(chunk(b"id,name\n", True), chunk(b"1,ada\n", True), chunk(b"2,bob\n", False))
    call = "handle_http(POST /echo with 3 chunks)"
    await within(5, echo.handle_http(scope, script.receive, script.send), what=call)
    status, headers, body = response_of(script, call)
    assert status == 200, f"{call} answered {status!r}; expected 200."
    assert body == b"id,name\n1,ada\n2,bob\n", (
        f"{call} echoed {body!r}; expected the three chunks joined, b'id,name\\n1,ada\\n2,bob\\n'. "
        "Reading only the first `http.request` message loses the rest of the upload."
    )
    assert headers.get(b"content-type") == b"text/csv", (
        f"{call} answered with content-type {headers.get(b'content-type')!r}; expected "
        "b'text/csv', the request's own content-type."
    )
    assert headers.get(b"content-length") == str(len(body)).encode(), (
        f"{call} answered with content-length {headers.get(b'content-length')!r} for a "
        f"{len(body)}-byte body."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_echo_without_content_type_is_octet_stream() -> None:
    """An echoed body with no content-type comes back as application/octet-stream."""
    script = Script(chunk(b"\x00\x01\x02", False))
    call = "handle_http(POST /echo, no content-type)"
    await within(
        5, echo.handle_http(http_scope("POST", "/echo"), script.receive, script.send), what=call
    )
    status, headers, body = response_of(script, call)
    assert (status, body, headers.get(b"content-type")) == (
        200,
        b"\x00\x01\x02",
        b"application/octet-stream",
    ), (
        f"{call} answered {status!r} {body!r} with content-type "
        f"{headers.get(b'content-type')!r}; expected 200, the same bytes, and "
        "b'application/octet-stream'."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_status_is_no_content() -> None:
    """GET /status answers 204 with an empty body."""
    script = Script(chunk(b"", False))  # a server sends a GET's (empty) body too
    call = "handle_http(GET /status)"
    await within(
        5, echo.handle_http(http_scope("GET", "/status"), script.receive, script.send), what=call
    )
    status, headers, body = response_of(script, call)
    assert (status, body) == (204, b""), (
        f"{call} answered {status!r} {body!r}; expected 204, no body."
    )
    assert b"content-length" not in headers, (
        f"{call} sent content-length {headers[b'content-length']!r}; a 204 declares no length."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/echo"),
        ("PUT", "/echo"),
        ("POST", "/"),
        ("POST", "/status"),
        ("GET", "/"),
        ("GET", "/users"),
        ("DELETE", "/status"),
        ("PUT", "/echo/x"),
        ("GET", "/status/x"),
    ],
)
async def test_other_requests_are_bad_requests(method: str, path: str) -> None:
    """Any other method or path answers 400 with the bad-request body as text/plain."""
    await answers_bad_request(method, path)


@pytest.mark.task(3)
@pytest.mark.looptime
@pytest.mark.parametrize("path", ["/echo/x", "/echoes"])
async def test_echo_path_is_matched_whole(path: str) -> None:
    """A POST to a path that only starts with /echo answers 400, not an echo."""
    await answers_bad_request("POST", path)


async def answers_bad_request(method: str, path: str) -> None:
    """Check that handle_http(method path) answers 400 b"bad request" as text/plain."""
    script = Script(chunk(b"", False))
    call = f"handle_http({method} {path})"
    await within(
        5, echo.handle_http(http_scope(method, path), script.receive, script.send), what=call
    )
    status, headers, body = response_of(script, call)
    assert (status, body, headers.get(b"content-type")) == (400, b"bad request", b"text/plain"), (
        f"{call} answered {status!r} {body!r} with content-type {headers.get(b'content-type')!r}; "
        "expected 400, b'bad request', b'text/plain'. Only POST /echo and GET /status exist: "
        "compare the whole path with ==, a prefix match also routes /echo/x and /echoes."
    )
    assert headers.get(b"content-length") == b"11", (
        f"{call} answered with content-length {headers.get(b'content-length')!r}; expected "
        "b'11' for b'bad request': every status but 204 declares its length."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_disconnect_mid_upload_sends_nothing() -> None:
    """A client that disconnects while uploading gets no response, and no error escapes."""
    script = Script(chunk(b"part one", True), {"type": "http.disconnect"})
    call = "handle_http(POST /echo, then the client disconnects)"
    await within(
        5, echo.handle_http(http_scope("POST", "/echo"), script.receive, script.send), what=call
    )
    assert script.sent == [], (
        f"{call} sent {script.types()}; expected nothing. After `http.disconnect` nobody is "
        "listening: stop, and return normally (a server logs an escaping exception as a crash)."
    )


# ---- step 4: handle_lifespan ------------------------------------------------------------


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_lifespan_answers_startup_and_shutdown() -> None:
    """Startup and shutdown each get their .complete message, in order, and the call returns."""
    service = ProbedService()
    script = Script({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"})
    call = "handle_lifespan(scope, receive, send, service) with startup then shutdown"
    await within(
        10,
        echo.handle_lifespan({"type": "lifespan"}, script.receive, script.send, service),
        what=call,
    )
    assert script.types() == ["lifespan.startup.complete", "lifespan.shutdown.complete"], (
        f"{call} sent {script.types()}; expected ['lifespan.startup.complete', "
        "'lifespan.shutdown.complete']. The server waits for each answer: without "
        "`lifespan.shutdown.complete` it stalls until its own timeout before exiting. "
        "One lifespan call receives both messages: loop on receive()."
    )
    assert service.events == ["startup began", "startup done", "shutdown began", "shutdown done"], (
        f"{call} ran the service as {service.events}; expected its startup, then its shutdown, "
        "each awaited to the end."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_startup_complete_waits_for_the_service() -> None:
    """lifespan.startup.complete is sent only after service.startup() has finished."""
    service = ProbedService()
    script = Script(
        {"type": "lifespan.startup"},
        {"type": "lifespan.shutdown"},
        watch=lambda: list(service.events),
    )
    call = "handle_lifespan(scope, receive, send, service)"
    await within(
        10,
        echo.handle_lifespan({"type": "lifespan"}, script.receive, script.send, service),
        what=call,
    )
    seen = dict(zip(script.types(), script.seen_when_sent, strict=False))
    before = seen.get("lifespan.startup.complete")
    assert before is not None and "startup done" in before, (
        f"{call} sent lifespan.startup.complete when the service had done {before}; expected "
        "after its startup finished. The server starts accepting requests on that message: "
        "await service.startup() first."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_failed_startup_is_reported() -> None:
    """A startup that raises sends lifespan.startup.failed with the error, and the call returns."""
    service = ProbedService(fail_with=OSError("log disk is full"))
    script = Script({"type": "lifespan.startup"})
    call = "handle_lifespan(...) whose service.startup() raises OSError('log disk is full')"
    await within(
        10,
        echo.handle_lifespan({"type": "lifespan"}, script.receive, script.send, service),
        what=call,
    )
    assert script.types() == ["lifespan.startup.failed"], (
        f"{call} sent {script.types()}; expected ['lifespan.startup.failed']. The server "
        "refuses to serve only when it is told that startup failed."
    )
    message = script.sent[0].get("message", "")
    assert message == "log disk is full", (
        f"{call} sent lifespan.startup.failed with message {message!r}; expected the error's "
        "text, 'log disk is full', which is str(exc) (repr(exc) or a prefix adds the class "
        "name), so that the server's log says why in the error's own words."
    )
    assert "shutdown began" not in service.events, (
        "after a failed startup the service was shut down; it never started, and the server "
        "sends no lifespan.shutdown then."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_shutdown_complete_waits_for_the_service() -> None:
    """lifespan.shutdown.complete is sent only after service.shutdown() has finished."""
    service = ProbedService()
    script = Script(
        {"type": "lifespan.startup"},
        {"type": "lifespan.shutdown"},
        watch=lambda: list(service.events),
    )
    call = "handle_lifespan(scope, receive, send, service)"
    await within(
        10,
        echo.handle_lifespan({"type": "lifespan"}, script.receive, script.send, service),
        what=call,
    )
    seen = dict(zip(script.types(), script.seen_when_sent, strict=False))
    assert "lifespan.shutdown.complete" in seen, (
        f"{call} sent {script.types()}; expected a lifespan.shutdown.complete."
    )
    before = seen["lifespan.shutdown.complete"]
    assert "shutdown done" in before, (
        f"{call} sent lifespan.shutdown.complete when the service had done {before}; expected "
        "after its shutdown finished. The server takes that message as 'the app is done' and "
        "may exit at once: await service.shutdown() first."
    )
