"""Letting `ClientDisconnected` escape from the request handler.

A client that gives up mid-upload is ordinary (a closed laptop, a proxy timeout); the app
should stop quietly, not crash the request with a traceback in the server's log.
"""

REJECTED_BY = {"test_disconnect_mid_upload_sends_nothing": "exception"}


async def handle_http(scope: Scope, receive: Receive, send: Send) -> None:
    method, path = scope["method"], scope["path"]
    if method == "POST" and path == "/echo":
        body = await read_body(receive)
        content_type = header(scope, b"content-type") or DEFAULT_CONTENT_TYPE
        await send_response(send, 200, body, content_type)
    elif method == "GET" and path == "/status":
        await send_response(send, 204)
    else:
        await send_response(send, 400, BAD_REQUEST_BODY, b"text/plain")
