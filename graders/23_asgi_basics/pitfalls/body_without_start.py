"""Putting the status and headers into the body message instead of sending a start first.

ASGI splits a response in two kinds of message: `http.response.start` (status, headers) must
come first, then `http.response.body`. A server rejects a body that was not started.
"""

REJECTED_BY = {
    "test_response_is_start_then_body": "wrong_answer",
    "test_status_is_no_content": "wrong_answer",
}


async def send_response(
    send: Send, status: int, body: bytes = b"", content_type: bytes | None = None
) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    if content_type is not None:
        headers.append((b"content-type", content_type))
    await send({"type": "http.response.body", "status": status, "headers": headers, "body": body})
