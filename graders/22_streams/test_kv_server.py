"""Grades exercises/22_streams/kv_server.py: a line-protocol server and client on asyncio streams.

Everything runs on real TCP sockets on 127.0.0.1, on ports the system picks (port 0). Every
server a test starts is closed in a `finally`, and its connection tasks are awaited, so
nothing outlives a test even when the learner's code fails. Concurrency is proven by
ordering (a client is answered while another one is stuck mid-line) and by an
asyncio.Barrier, never by timing.

Requirements:
- 1: each line is answered with execute() as soon as it arrives -> test_answers_each_line_as_it_arrives
- 1: every reply is written and drained before the next read -> test_replies_are_drained
- 1: QUIT gets BYE, then close() and wait_closed() -> test_quit_closes_and_waits_for_the_connection
- 1: a client mid-line does not hold up another one -> test_slow_client_does_not_delay_others
- 1: a half line at disconnect is not executed, ends quietly and closes the writer
  -> test_partial_line_at_disconnect_is_not_executed
- 1: a clean end of stream ends the handler and closes the writer
  -> test_clean_disconnect_ends_and_closes_the_handler
- 1: a reset (a real RST) is not an error, the writer is still closed, the server goes on
  -> test_reset_connection_is_handled_and_server_keeps_serving
- 2: listen on the requested port (0: the system picks) and serve the store
  -> test_server_listens_on_an_ephemeral_local_port
- 2: every client is served at once (Barrier of 20) -> test_many_clients_are_served_at_once
- 2: aclose() stops listening, ends every connection, and no connection task runs when it
  returns -> test_aclose_ends_every_connection
- 2: the final server.wait_closed() -> not graded: after close() and the handlers are done it
  has nothing left to wait for (3.11 returns at once)
- 3: connect, SET/GET lines, replies understood, QUIT on close -> test_client_speaks_the_protocol
- 3: close() waits until closed, the server sees the end of stream -> test_client_close_closes_the_connection
- 3: request() raises ProtocolError when the server hangs up
  -> test_request_raises_protocol_error_when_the_server_hangs_up
- 3: connecting where nothing listens raises OSError -> test_connect_to_nothing_raises
- checks: the probed streams accept readline() and `async for line in reader`
  -> test_answers_each_line_as_it_arrives
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Iterator
from typing import Any

import pytest

from katagrader import learner_module, outcome, within

kv = learner_module("kv_server")

HOST = "127.0.0.1"
# Seconds allowed for one request and its reply on the loopback interface: a round trip takes
# about a millisecond, so this only fires when the code under test is stuck. Kept short
# because a stuck server fails many tests, each after this long.
ASK = 1.0


class ProbedWriter:
    """A StreamWriter stand-in that records the calls made on it, in order."""

    def __init__(self, writer: asyncio.StreamWriter, events: list[str]) -> None:
        self._writer = writer
        self.events = events

    def write(self, data: bytes) -> None:
        self.events.append("write")
        self._writer.write(data)

    def writelines(self, data: Any) -> None:
        self.events.append("write")
        self._writer.writelines(data)

    async def drain(self) -> None:
        self.events.append("drain")
        await self._writer.drain()

    def close(self) -> None:
        self.events.append("close")
        self._writer.close()

    async def wait_closed(self) -> None:
        self.events.append("wait_closed")
        await self._writer.wait_closed()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)


class ProbedReader:
    """A StreamReader stand-in that records each read call in the same event list.

    `async for line in reader` is a documented way to read lines: special methods are looked
    up on the type, not through __getattr__, so __aiter__/__anext__ are defined here."""

    def __init__(self, reader: asyncio.StreamReader, events: list[str]) -> None:
        self._reader = reader
        self.events = events

    def __aiter__(self) -> ProbedReader:
        return self

    async def __anext__(self) -> bytes:
        self.events.append("read")
        return await self._reader.__anext__()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._reader, name)
        if name.startswith("read"):

            def recorded(*args: Any, **kwargs: Any) -> Any:
                self.events.append("read")
                return attr(*args, **kwargs)

            return recorded
        return attr


async def end_connections(
    tasks: set[asyncio.Task[None]], writers: set[asyncio.StreamWriter]
) -> None:
    """End the grader's own connection tasks: abort their sockets (the handler then sees the
    end of the stream) and wait; cancel only what still runs. (On 3.11, cancelling a task made
    by start_server makes asyncio log an error, so cancelling comes last.)"""
    for writer in list(writers):
        writer.transport.abort()
    if tasks:
        await asyncio.wait(set(tasks), timeout=2)
    for task in list(tasks):
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class Harness:
    """A server of the grader that hands every connection to the learner's handle_connection,
    with probed streams, and records how each handler ended."""

    def __init__(self, store: dict[str, str]) -> None:
        self.store = store
        self.events: list[list[str]] = []
        self.errors: list[BaseException] = []
        self.finished = 0
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> Harness:
        self._server = await asyncio.start_server(self._serve, HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        events: list[str] = []
        self.events.append(events)
        try:
            await kv.handle_connection(
                self.store, ProbedReader(reader, events), ProbedWriter(writer, events)
            )
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # reported by the test: a handler must not raise
            self.errors.append(exc)
        finally:
            self.finished += 1
            self._changed.set()
            writer.transport.abort()  # whatever the handler did, free the socket now
            self._tasks.discard(task)
            self._writers.discard(writer)

    async def wait_finished(self, count: int) -> None:
        while self.finished < count:
            self._changed.clear()
            await self._changed.wait()

    async def __aexit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await end_connections(self._tasks, self._writers)
        await self._server.wait_closed()
        # When the client saw its connection break, the handler's own error explains why:
        # report it instead (and always report an unfinished step). A hang stays a hang.
        client_saw_a_break = exc_type is not None and issubclass(exc_type, OSError)
        for error in self.errors:
            if client_saw_a_break or isinstance(error, NotImplementedError):
                raise error


@contextlib.contextmanager
def tolerating_cancelled_connection_tasks() -> Iterator[None]:
    """Drop one log line that Python 3.11 emits by mistake.

    On 3.11, cancelling a connection task made by `asyncio.start_server` makes asyncio log
    "Exception in callback StreamReaderProtocol.connection_made...: CancelledError" (fixed in
    3.12). Cancelling those tasks is a correct way for `aclose()` to end the connections, so
    that log line alone is not reported; every other one still is.
    """
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), asyncio.CancelledError) and (
            "connection_made" in str(context.get("message", ""))
        ):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    try:
        yield
    finally:
        loop.set_exception_handler(previous)


def closed_and_waited(events: list[str]) -> bool:
    """Whether the handler called `writer.close()` and then `await writer.wait_closed()`."""
    return "close" in events and "wait_closed" in events[events.index("close") :]


def reset(writer: asyncio.StreamWriter) -> None:
    """Reset the connection from this side: with SO_LINGER (on, 0 s) the close sends an RST,
    so the peer's next read raises ConnectionResetError. (A bare abort() sends a normal FIN,
    which the peer reads as a clean end of stream.)"""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class RawClient:
    """The grader's own client: plain streams, one line at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int) -> RawClient:
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer)

    async def send(self, text: str) -> None:
        self.writer.write(text.encode())
        await self.writer.drain()

    async def ask(self, line: str) -> str:
        await self.send(line + "\n")
        return (await self.reader.readline()).decode().rstrip("\n")

    async def aclose(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


@contextlib.asynccontextmanager
async def clients(port: int, count: int) -> Any:
    opened: list[RawClient] = []
    try:
        for _ in range(count):
            opened.append(await RawClient.connect(port))
        yield opened
    finally:
        for client in opened:
            await client.aclose()


@pytest.mark.task(1)
async def test_answers_each_line_as_it_arrives() -> None:
    """Each command line gets its reply before the client sends the next one."""
    store: dict[str, str] = {}
    async with Harness(store) as harness, clients(harness.port, 1) as (client,):
        replies = []
        for line in ["SET colour deep blue", "GET colour", "GET size"]:
            replies.append(
                await within(ASK, client.ask(line), what=f"sending {line!r} and reading the reply")
            )
    expected = ["OK", "VALUE deep blue", "NOT_FOUND"]
    assert replies == expected, (
        f"a client sending 'SET colour deep blue', 'GET colour', 'GET size' one at a time got "
        f"{replies!r}; expected {expected!r}. Answer each line with "
        "`reply, done = execute(store, line)` and write the reply followed by '\\n'."
    )


@pytest.mark.task(1)
async def test_replies_are_drained() -> None:
    """Every write of a reply is followed by `await writer.drain()` before the next read."""
    async with Harness({}) as harness, clients(harness.port, 1) as (client,):
        for line in ["SET a 1", "GET a"]:
            await within(ASK, client.ask(line), what=f"sending {line!r} and reading the reply")
    events = harness.events[0]
    pending = False
    for event in events:
        if event == "write":
            pending = True
        elif event == "drain":
            pending = False
        elif pending:
            pytest.fail(
                f"handle_connection made these calls: {events}; a write was not followed by "
                "`await writer.drain()`. write() only fills a buffer; drain() waits until it "
                "has room again, so a client that does not read cannot make the server buffer "
                "without end."
            )
    assert events.count("write") >= 2 and "drain" in events, (
        f"handle_connection made these calls on its streams: {events}; expected a write and a "
        "drain per reply."
    )


@pytest.mark.task(1)
async def test_quit_closes_and_waits_for_the_connection() -> None:
    """QUIT is answered with BYE, then the server closes the connection and waits for it."""
    async with Harness({}) as harness, clients(harness.port, 1) as (client,):
        reply = await within(ASK, client.ask("QUIT"), what="sending 'QUIT' and reading the reply")
        rest = await within(
            ASK, client.reader.read(), what="reading after BYE until the server closes"
        )
        await within(ASK, harness.wait_finished(1), what="handle_connection after QUIT")
    assert reply == "BYE", f"'QUIT' was answered with {reply!r}; expected 'BYE'."
    assert rest == b"", f"after BYE the server sent {rest!r}; expected the connection to close."
    events = harness.events[0]
    assert closed_and_waited(events), (
        f"handle_connection made these calls on its streams: {events}; expected "
        "`writer.close()` and then `await writer.wait_closed()`, so the socket is released "
        "before the handler ends (do it in a `finally`)."
    )
    assert not harness.errors, f"handle_connection raised {harness.errors[0]!r} after QUIT."


@pytest.mark.task(1)
async def test_slow_client_does_not_delay_others() -> None:
    """A client stuck in the middle of a line does not hold up another client."""
    async with Harness({}) as harness, clients(harness.port, 2) as (slow, quick):
        await within(ASK, slow.ask("SET slow 1"), what="the slow client's first command")
        await slow.send("GET sl")  # ... and the slow typist stops mid-line
        replies = [
            await within(
                ASK,
                quick.ask(line),
                what=f"another client's {line!r} while the first one is mid-line",
            )
            for line in ["SET quick 2", "GET slow"]
        ]
        assert replies == ["OK", "VALUE 1"], (
            f"while one client was stuck mid-line, another one got {replies!r}; expected "
            "['OK', 'VALUE 1']."
        )
        slow.writer.write(b"ow\n")
        finished = await within(
            ASK, slow.reader.readline(), what="the slow client finishing its line"
        )
    assert finished == b"VALUE 1\n", (
        f"the slow client's 'GET slow', sent in two pieces, got {finished!r}; expected b'VALUE 1\\n'."
    )


@pytest.mark.task(1)
async def test_partial_line_at_disconnect_is_not_executed() -> None:
    """A client that closes after half a line ends its handler quietly, and the half line is not run."""
    store: dict[str, str] = {}
    async with Harness(store) as harness:
        async with clients(harness.port, 1) as (client,):
            await client.send("SET half done")  # no "\n": the client gives up mid-line
        await within(ASK, harness.wait_finished(1), what="handle_connection after the client left")
    assert not harness.errors, (
        f"handle_connection raised {harness.errors[0]!r} when the client left mid-line; a "
        "client going away is normal: readline() then returns what arrived, without '\\n'."
    )
    assert "half" not in store, (
        "handle_connection executed 'SET half done', which arrived without its '\\n' before the "
        "client disconnected; an unterminated line is not a complete command: stop when "
        "readline() returns something that does not end with b'\\n'."
    )
    events = harness.events[0]
    assert closed_and_waited(events), (
        f"after its client left mid-line, handle_connection made these calls on its streams: "
        f"{events}; expected `writer.close()` and then `await writer.wait_closed()` on this "
        "way out too (put them in a `finally`)."
    )


@pytest.mark.task(1)
async def test_clean_disconnect_ends_and_closes_the_handler() -> None:
    """A client that closes after a whole line ends its handler quietly, which closes the writer."""
    store: dict[str, str] = {}
    async with Harness(store) as harness:
        async with clients(harness.port, 1) as (client,):
            reply = await within(ASK, client.ask("SET a 1"), what="a client's 'SET a 1'")
        await within(
            ASK, harness.wait_finished(1), what="handle_connection after the client closed"
        )
    assert reply == "OK" and store == {"a": "1"}, (
        f"'SET a 1' got {reply!r} and left the store as {store}; expected 'OK' and {{'a': '1'}}."
    )
    assert not harness.errors, (
        f"handle_connection raised {harness.errors[0]!r} when its client closed the connection; "
        "readline() returns b'' at the end of the stream: that is the normal end of a conversation."
    )
    events = harness.events[0]
    assert closed_and_waited(events), (
        f"after its client closed the connection, handle_connection made these calls on its "
        f"streams: {events}; expected `writer.close()` and then `await writer.wait_closed()` "
        "on this way out too (put them in a `finally`)."
    )


@pytest.mark.task(1)
async def test_reset_connection_is_handled_and_server_keeps_serving() -> None:
    """A connection reset mid-line ends that handler without an exception; others are still served."""
    store: dict[str, str] = {}
    async with Harness(store) as harness:
        broken = await RawClient.connect(harness.port)
        await within(ASK, broken.ask("SET k v"), what="the first client's 'SET k v'")
        await broken.send("GET")
        reset(broken.writer)  # the client's machine vanishes: the server's read raises
        await within(ASK, harness.wait_finished(1), what="handle_connection after a reset")
        async with clients(harness.port, 1) as (client,):
            reply = await within(ASK, client.ask("GET k"), what="a new client's 'GET k'")
    if harness.errors:
        error = harness.errors[0]
        advice = (
            "catch ConnectionError around the conversation and in the `finally` around "
            "wait_closed() (a client that vanishes is normal), and still close the writer."
            if isinstance(error, ConnectionError)
            else "a reset must end this handler quietly."
        )
        pytest.fail(
            f"handle_connection raised {error!r} when its client reset the connection; {advice}"
        )
    assert reply == "VALUE v", (
        f"after a reset, a new client's 'GET k' got {reply!r}; expected 'VALUE v'."
    )
    events = harness.events[0]
    assert closed_and_waited(events), (
        f"after its client reset the connection, handle_connection made these calls on its "
        f"streams: {events}; expected `writer.close()` and then `await writer.wait_closed()` "
        "on this way out too (put them in a `finally`)."
    )


@pytest.mark.task(2)
async def test_server_listens_on_an_ephemeral_local_port() -> None:
    """KVServer(store, '127.0.0.1', 0) gets a real port from the system and serves on it."""
    store: dict[str, str] = {}
    server = kv.KVServer(store, HOST, 0)
    try:
        await within(ASK, server.start(), what="KVServer(store, '127.0.0.1', 0).start()")
        port = server.port
        assert isinstance(port, int) and port > 0, (
            f"after start(), server.port is {port!r}; expected the port the system picked."
        )
        async with clients(port, 1) as (client,):
            reply = await within(ASK, client.ask("SET x 1"), what="a client's 'SET x 1'")
    finally:
        with tolerating_cancelled_connection_tasks():
            await within(ASK, server.aclose(), what="server.aclose()")
            await asyncio.sleep(0)
    assert reply == "OK" and store == {"x": "1"}, (
        f"a client's 'SET x 1' got {reply!r} and left the store as {store}; expected 'OK' and "
        "{'x': '1'}: the server must serve its store with handle_connection."
    )


@pytest.mark.task(2)
async def test_many_clients_are_served_at_once() -> None:
    """Twenty clients are all in the middle of a conversation at the same moment."""
    store: dict[str, str] = {}
    count = 20
    barrier = asyncio.Barrier(count)
    server = kv.KVServer(store, HOST, 0)

    async def conversation(client: RawClient, n: int) -> str:
        first = await client.ask(f"SET key{n} value{n}")
        assert first == "OK", f"client {n}'s 'SET key{n} value{n}' got {first!r}; expected 'OK'."
        await barrier.wait()  # every client has been answered once, none has finished
        return await client.ask(f"GET key{(n + 1) % count}")

    try:
        await within(ASK, server.start(), what="KVServer(store, '127.0.0.1', 0).start()")
        async with clients(server.port, count) as opened:
            replies = await within(
                2,
                asyncio.gather(*(conversation(c, n) for n, c in enumerate(opened))),
                what=f"{count} clients talking to the server at once",
            )
    finally:
        with tolerating_cancelled_connection_tasks():
            await within(ASK, server.aclose(), what="server.aclose()")
            await asyncio.sleep(0)
    expected = [f"VALUE value{(n + 1) % count}" for n in range(count)]
    assert list(replies) == expected, f"the clients got {replies!r}; expected {expected!r}."


@pytest.mark.task(2)
async def test_aclose_ends_every_connection() -> None:
    """aclose() closes the clients' connections, frees the port and leaves no task behind."""
    server = kv.KVServer({}, HOST, 0)
    opened: list[RawClient] = []
    before = asyncio.all_tasks()  # this test's own task; the rest are the server's
    still_running: list[asyncio.Task[Any]] = []

    async def aclose_and_look() -> None:
        await server.aclose()
        # In the same loop step as aclose()'s return, before any handler can run on: every
        # connection task must be done, not merely aborted or cancelled.
        here = asyncio.current_task()
        still_running.extend(t for t in asyncio.all_tasks() - before if t is not here)

    try:
        await within(ASK, server.start(), what="KVServer(store, '127.0.0.1', 0).start()")
        port = server.port
        for _ in range(3):
            opened.append(await RawClient.connect(port))
            await within(ASK, opened[-1].ask("SET k v"), what="a client's 'SET k v'")
    finally:
        with tolerating_cancelled_connection_tasks():
            await within(ASK, aclose_and_look(), what="server.aclose() with 3 clients connected")
            await asyncio.sleep(0)
    try:
        for client in opened:
            rest = await within(
                ASK,
                client.reader.read(),
                what="a client connected during aclose(), reading until the server closes",
            )
            assert rest == b"", f"a client got {rest!r} after aclose(); expected the end of stream."
    finally:
        for client in opened:
            await client.aclose()
    names = sorted(getattr(t.get_coro(), "__qualname__", repr(t.get_coro())) for t in still_running)
    cancelled = any(t.cancelling() for t in still_running)
    assert not still_running, (
        f"server.aclose() returned while {len(still_running)} connection task(s) were still "
        f"running ({', '.join(names)}); expected it to wait until every handler has finished. "
        + (
            "They had been cancelled: cancel() only asks, each task ends later, after its "
            "`finally`; await them."
            if cancelled
            else "The clients did see their connections end, but ending a connection only "
            "starts the end of its handler: await the handler tasks."
        )
    )
    with pytest.raises(OSError):
        await RawClient.connect(port)


class ScriptedServer:
    """The grader's own server for the client tests: records the lines it receives."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.store: dict[str, str] = {}
        self.saw_end = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._serve, HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            while line := await reader.readline():
                text = line.decode().rstrip("\n")
                self.lines.append(text)
                command, _, rest = text.partition(" ")
                if command == "SET":
                    key, _, value = rest.partition(" ")
                    self.store[key] = value
                    writer.write(b"OK\n")
                elif command == "GET":
                    found = self.store.get(rest)
                    writer.write(
                        f"VALUE {found}\n".encode() if found is not None else b"NOT_FOUND\n"
                    )
                elif command == "QUIT":
                    writer.write(b"BYE\n")
                elif command == "HANGUP":
                    break  # close the connection without a reply
                else:
                    writer.write(b"ERROR unknown command\n")
                await writer.drain()
            if not line:
                self.saw_end.set()  # the client closed its side
        except ConnectionError:
            self.saw_end.set()
        finally:
            writer.close()  # a normal close (FIN): the client reads the end of the stream
            self._tasks.discard(task)
            self._writers.discard(writer)

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await end_connections(self._tasks, self._writers)
        await self._server.wait_closed()


@pytest.mark.task(3)
async def test_client_speaks_the_protocol() -> None:
    """set, get and close send SET, GET and QUIT lines and understand the replies."""
    async with ScriptedServer() as server:
        client = await within(ASK, kv.KVClient.connect(HOST, server.port), what="KVClient.connect")
        try:
            await within(ASK, client.set("city", "New York"), what="client.set('city', 'New York')")
            found = await within(ASK, client.get("city"), what="client.get('city')")
            missing = await within(ASK, client.get("zip"), what="client.get('zip')")
        finally:
            await within(ASK, client.close(), what="client.close()")
    assert (found, missing) == ("New York", None), (
        f"client.get('city') and client.get('zip') returned {found!r} and {missing!r}; "
        "expected 'New York' and None."
    )
    expected = ["SET city New York", "GET city", "GET zip", "QUIT"]
    assert server.lines == expected, (
        f"the server received the lines {server.lines!r}; expected {expected!r}: one line per "
        "request, each ending with '\\n', and QUIT when closing."
    )


@pytest.mark.task(3)
async def test_client_close_closes_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """close() says QUIT and waits until the connection is closed; the server sees the end of stream."""
    waited: list[asyncio.StreamWriter] = []
    wait_closed = asyncio.StreamWriter.wait_closed

    async def recorded_wait_closed(self: asyncio.StreamWriter) -> None:
        await wait_closed(self)
        waited.append(self)  # recorded once the wait is over

    # On the class: the learner's writer comes from open_connection, however it is imported.
    monkeypatch.setattr(asyncio.StreamWriter, "wait_closed", recorded_wait_closed)
    async with ScriptedServer() as server:
        client = await within(ASK, kv.KVClient.connect(HOST, server.port), what="KVClient.connect")
        await within(ASK, client.close(), what="client.close()")
        assert waited, (
            "client.close() returned without having awaited `writer.wait_closed()`; "
            "writer.close() only starts closing: wait until the connection is closed."
        )
        await within(
            ASK,
            server.saw_end.wait(),
            what="the server waiting for the connection to close after client.close()",
        )
    assert server.lines == ["QUIT"], f"the server received {server.lines!r}; expected ['QUIT']."


@pytest.mark.task(3)
async def test_request_raises_protocol_error_when_the_server_hangs_up() -> None:
    """request() raises ProtocolError when the server closes the connection instead of replying."""
    async with ScriptedServer() as server:
        client = await within(ASK, kv.KVClient.connect(HOST, server.port), what="KVClient.connect")
        try:
            result, error = await outcome(
                ASK, client.request("HANGUP"), what="client.request('HANGUP')"
            )
        finally:
            await within(ASK, client.close(), what="client.close() after the server hung up")
    assert isinstance(error, kv.ProtocolError), (
        "the server closed the connection without replying to 'HANGUP', and "
        "client.request('HANGUP') "
        + (f"raised {error!r}" if error is not None else f"returned {result!r}")
        + "; expected ProtocolError: readline() returns b'' (or a line without '\\n') when "
        "the other side closed, and that is not a reply."
    )


@pytest.mark.task(3)
async def test_connect_to_nothing_raises() -> None:
    """Connecting to a port where nothing listens raises ConnectionRefusedError (an OSError)."""
    probe = await asyncio.start_server(lambda r, w: None, HOST, 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    with pytest.raises(OSError):
        await within(ASK, kv.KVClient.connect(HOST, port), what="KVClient.connect to a closed port")
