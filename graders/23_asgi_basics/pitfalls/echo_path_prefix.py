"""Routing with `path.startswith("/echo")`: `/echo/x` and `/echoes` are echoed too.

Only `POST /echo` exists; anything else answers 400. A prefix match quietly grows routes
nobody wrote: compare the whole path.
"""

REJECTED_BY = {"test_echo_path_is_matched_whole": "wrong_answer"}


async def handle_http(scope: Scope, receive: Receive, send: Send) -> None:
    method, path = scope["method"], scope["path"]
    if method == "POST" and path.startswith("/echo"):
        try:
            body = await read_body(receive)
        except ClientDisconnected:
            return
        content_type = header(scope, b"content-type") or DEFAULT_CONTENT_TYPE
        await send_response(send, 200, body, content_type)
    elif method == "GET" and path == "/status":
        await send_response(send, 204)
    else:
        await send_response(send, 400, BAD_REQUEST_BODY, b"text/plain")
