"""Letting a reset connection escape the handler: a client that vanishes is normal, not an error.

`readline()` raises `ConnectionResetError` when the peer resets the connection (it returns
b"" only after a clean close). A handler that catches nothing lets that error out of its
task, and asyncio logs "Task exception was never retrieved" for every client that vanished.
"""

REJECTED_BY = {"test_reset_connection_is_handled_and_server_keeps_serving": "wrong_answer"}


async def handle_connection(
    store: Store, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            line = await reader.readline()
            if not line.endswith(b"\n"):
                break
            reply, done = execute(store, line.decode())
            writer.write(reply.encode() + b"\n")
            await writer.drain()
            if done:
                break
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
