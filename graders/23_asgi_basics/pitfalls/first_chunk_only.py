"""Reading only the first `http.request` message: a large upload is cut short.

A server hands the body over in as many messages as it likes (uvicorn: whatever arrived on
the socket, often 64 KiB); `more_body=True` says more is coming.
"""

REJECTED_BY = {
    "test_body_sent_in_chunks_is_read_whole": "wrong_answer",
    "test_echo_sends_the_body_back": "wrong_answer",
}


async def read_body(receive: Receive) -> bytes:
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnected("the client disconnected")
    return bytes(message.get("body", b""))
