"""Returning from the handler without closing the writer: the socket stays open.

Leaving the handler does not close the connection: the transport lives on until someone
calls `writer.close()`, and `await writer.wait_closed()` is what waits until it is gone.
"""

REJECTED_BY = {"test_quit_closes_and_waits_for_the_connection": "wrong_answer"}


async def handle_connection(
    store: Store, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    while True:
        line = await reader.readline()
        if not line.endswith(b"\n"):
            return
        reply, done = execute(store, line.decode())
        writer.write(reply.encode() + b"\n")
        await writer.drain()
        if done:
            return  # "the client said QUIT, we're done"
