"""Declaring the content-length only when there is a content-type.

The two headers are independent: `content-type` goes when one is given, `content-length` on
every status but 204. Tying the length to the type leaves a typeless response with no
length, and the client must wait for the connection to close to know the body has ended.
"""

REJECTED_BY = {"test_length_is_declared_without_content_type": "wrong_answer"}


async def send_response(
    send: Send, status: int, body: bytes = b"", content_type: bytes | None = None
) -> None:
    headers: list[tuple[bytes, bytes]] = []
    if status != 204:
        if content_type is not None:
            headers.append((b"content-type", content_type))
            headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
    else:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
