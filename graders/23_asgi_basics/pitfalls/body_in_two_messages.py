"""Sending the body and then an empty message to end it: two body messages where one was asked.

It is valid ASGI, but the step asks for exactly one `http.response.body` that ends the
response: `{"type": "http.response.body", "body": body}` (more_body false by default).
"""

REJECTED_BY = {"test_response_is_start_then_body": "wrong_answer"}


async def send_response(
    send: Send, status: int, body: bytes = b"", content_type: bytes | None = None
) -> None:
    headers = []
    if content_type is not None:
        headers.append((b"content-type", content_type))
    if status != 204:
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
