"""Reading the request with `read()`: it waits for the end of the stream, which never comes.

`reader.read()` with no size returns only when the client closes its side. An interactive
client sends one line and waits for the answer: both sides wait for each other.
"""

REJECTED_BY = {"test_answers_each_line_as_it_arrives": "timeout"}


async def handle_connection(
    store: Store, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        data = await reader.read()  # "read the whole request"
        for line in data.decode().splitlines():
            reply, done = execute(store, line)
            writer.write(reply.encode() + b"\n")
            await writer.drain()
            if done:
                break
    finally:
        writer.close()
        await writer.wait_closed()
