"""Closing the writer only after QUIT: a client that just goes away leaves its socket open.

The close belongs in a `finally`, so it runs on every way out of the conversation: QUIT,
the end of the stream, a half line, a reset connection.
"""

REJECTED_BY = {
    "test_partial_line_at_disconnect_is_not_executed": "wrong_answer",
    "test_clean_disconnect_ends_and_closes_the_handler": "wrong_answer",
    "test_reset_connection_is_handled_and_server_keeps_serving": "wrong_answer",
}


async def handle_connection(
    store: Store, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            line = await reader.readline()
            if not line.endswith(b"\n"):
                return  # "the client is gone, nothing to close"
            reply, done = execute(store, line.decode())
            writer.write(reply.encode() + b"\n")
            await writer.drain()
            if done:
                writer.close()
                await writer.wait_closed()
                return
    except ConnectionError:
        return
