"""Calling `receive()` once more after the body is complete, to peek for a disconnect.

After the message with `more_body` false, a server's `receive()` waits for the next event
(the client hanging up): the peek under `asyncio.timeout(0)` is a call that must be
cancelled, and on a server that answers it at once it eats the `http.disconnect` that the
rest of the app would have needed.
"""

REJECTED_BY = {
    "test_body_sent_in_chunks_is_read_whole": "wrong_answer",
    "test_single_message_body_is_read": "wrong_answer",
}


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected("client went away")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            try:  # "did the client hang up right after its body?"
                async with asyncio.timeout(0):
                    if (await receive())["type"] == "http.disconnect":
                        raise ClientDisconnected("client went away")
            except TimeoutError:
                pass
            return b"".join(chunks)
