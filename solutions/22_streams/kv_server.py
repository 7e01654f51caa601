"""A tiny key-value server and its client, speaking a line protocol over TCP.

The protocol is one command per line, one reply per line (UTF-8, `\\n`-terminated):

    SET <key> <value>   ->  OK              (the value may contain spaces)
    GET <key>           ->  VALUE <value>   or  NOT_FOUND
    QUIT                ->  BYE             (then the server closes the connection)
    anything else       ->  ERROR <reason>

1. `handle_connection`: serve one client: read a line, answer it, repeat, until QUIT or the
   client goes away (even in the middle of a line); then close the connection.
2. `KVServer.start` / `KVServer.aclose`: listen on a TCP port and serve many clients at
   once; on close, stop listening and end every connection still open.
3. `KVClient.connect` / `KVClient.request` / `KVClient.close`: the client side.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

Store = dict[str, str]


class ProtocolError(Exception):
    """The server answered something the client did not expect."""


def execute(store: Store, line: str) -> tuple[str, bool]:
    """Run one command line against the store.

    Args:
        store: the data, changed in place by SET.
        line: one command, without its line ending.

    Returns:
        The reply line (without line ending), and whether the connection should close.

    Example:
        >>> execute({}, "SET colour deep blue")
        ('OK', False)
    """
    command, _, rest = line.strip().partition(" ")
    command = command.upper()
    if command == "SET":
        key, _, value = rest.partition(" ")
        if not key or not value:
            return "ERROR usage: SET <key> <value>", False
        store[key] = value
        return "OK", False
    if command == "GET":
        if not rest or " " in rest:
            return "ERROR usage: GET <key>", False
        return (f"VALUE {store[rest]}" if rest in store else "NOT_FOUND"), False
    if command == "QUIT":
        return "BYE", True
    return f"ERROR unknown command {command!r}", False


async def handle_connection(
    store: Store, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Serve one client until it sends QUIT or disconnects, then close the connection.

    Args:
        store: the shared data.
        reader: the client's side of the stream, to read commands from.
        writer: where the replies go.

    Returns:
        None, once the connection is closed. A client that disconnects (cleanly, or abruptly
        in the middle of a line) is normal: nothing is raised. A last line without its `\\n`
        is not a complete command and is not executed.

    Example:
        >>> server = await asyncio.start_server(  # doctest: +SKIP
        ...     lambda r, w: handle_connection({}, r, w), "127.0.0.1", 0)
    """
    try:
        while True:
            # readline() returns as soon as one whole line has arrived: the reply goes out
            # while the client waits for it. read() would wait for the end of the stream,
            # which an interactive client never sends.
            line = await reader.readline()
            if not line.endswith(b"\n"):
                # b"" is a clean disconnect; bytes without "\n" mean the client went away
                # mid-line. Either way there is no complete command left to run.
                break
            reply, done = execute(store, line.decode("utf-8", errors="replace"))
            writer.write(reply.encode() + b"\n")
            # drain() waits while the outgoing buffer is too full: a client that does not
            # read its replies slows down only its own handler, instead of growing our memory.
            await writer.drain()
            if done:
                break
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        # A reset connection, or a line longer than the reader's limit: this client is
        # gone or broken. It must not take the server down, so we only end this handler.
        pass
    finally:
        # close() only starts closing; wait_closed() waits until the socket is really
        # released. Both also run when the handler is cancelled by KVServer.aclose().
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


class KVServer:
    """A key-value server on `host:port`; `port=0` lets the system pick a free port."""

    def __init__(self, store: Store, host: str = "127.0.0.1", port: int = 0) -> None:
        self.store = store
        self.host = host
        self.requested_port = port
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        """The port actually listened on (known once started)."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        """Start listening; each client is served by `handle_connection` in its own task.

        Example:
            >>> server = KVServer({}); await server.start(); server.port  # doctest: +SKIP
            40917
        """
        # start_server runs the callback in a new task for every connection, so clients
        # are served concurrently: a slow client only ever waits in its own task.
        self._server = await asyncio.start_server(self._serve, self.host, self.requested_port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Remember every open connection and its task, so aclose() can end them: closing
        # the listening socket does not touch the connections already accepted.
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        try:
            await handle_connection(self.store, reader, writer)
        finally:
            self._handlers.discard(task)
            self._writers.discard(writer)

    async def aclose(self) -> None:
        """Stop accepting clients, end every open connection, and wait until all are closed.

        Example:
            >>> await server.aclose()  # doctest: +SKIP
        """
        if self._server is None:
            return
        self._server.close()  # stop listening: the port is free again
        # End the open connections from the socket side: abort() closes each one at once
        # (even if a client stopped reading and our buffer is full), the handler's
        # readline() then sees the end of the stream and the handler returns normally,
        # through its `finally`. (Python 3.13 has Server.close_clients() for this.)
        # Cancelling the handler tasks would work too, but on 3.11 asyncio logs an error
        # for every cancelled start_server task.
        for writer in list(self._writers):
            writer.transport.abort()
        # Waiting for the handlers means no task outlives the server.
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> KVServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class KVClient:
    """A client of the key-value server; create it with `await KVClient.connect(...)`."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def connect(cls, host: str, port: int) -> KVClient:
        """Open a connection to the server.

        Raises:
            ConnectionRefusedError: nothing listens on `host:port`.

        Example:
            >>> client = await KVClient.connect("127.0.0.1", 40917)  # doctest: +SKIP
        """
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def request(self, line: str) -> str:
        """Send one command line and return the server's one-line reply (without `\\n`).

        Raises:
            ProtocolError: the server closed the connection instead of answering.

        Example:
            >>> await client.request("GET colour")  # doctest: +SKIP
            'VALUE deep blue'
        """
        self._writer.write(line.encode() + b"\n")
        await self._writer.drain()
        reply = await self._reader.readline()
        if not reply.endswith(b"\n"):
            raise ProtocolError(f"the server closed the connection instead of answering {line!r}")
        return reply.decode().rstrip("\n")

    async def set(self, key: str, value: str) -> None:
        """Store `value` under `key`."""
        reply = await self.request(f"SET {key} {value}")
        if reply != "OK":
            raise ProtocolError(f"SET {key}: {reply}")

    async def get(self, key: str) -> str | None:
        """The value stored under `key`, or None."""
        reply = await self.request(f"GET {key}")
        if reply == "NOT_FOUND":
            return None
        if not reply.startswith("VALUE "):
            raise ProtocolError(f"GET {key}: {reply}")
        return reply.removeprefix("VALUE ")

    async def close(self) -> None:
        """Say QUIT, then close the connection and wait until it is closed.

        Example:
            >>> await client.close()  # doctest: +SKIP
        """
        try:
            await self.request("QUIT")
        except (ConnectionError, ProtocolError):
            pass  # the server is already gone: closing our side is all that is left
        finally:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()

    async def __aenter__(self) -> KVClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def main() -> None:
    async with KVServer({}) as server:
        print(f"listening on 127.0.0.1:{server.port}")
        async with await KVClient.connect("127.0.0.1", server.port) as alice:
            async with await KVClient.connect("127.0.0.1", server.port) as bob:
                await alice.set("greeting", "hello, world")
                print("bob reads:", await bob.get("greeting"))
                print("bob reads:", await bob.get("missing"))


if __name__ == "__main__":
    asyncio.run(main())
