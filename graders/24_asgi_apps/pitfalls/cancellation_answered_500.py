"""Catching `BaseException` around the handler, so that a cancellation is answered 500.

A server shutting down (or a client gone) cancels the request; the app swallows the
`CancelledError`, sends a 500 and keeps it as an error, and the task that was cancelled
returns normally: the server's shutdown waits on requests that refuse to stop.
"""

REJECTED_BY = {"test_cancelled_handler_is_not_an_error": "wrong_answer"}


class App(App):
    async def _serve_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await read_body(receive)
        except ClientDisconnected:
            return
        request = Request(
            method=scope["method"],
            path=scope["path"],
            headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
            body=body,
            state=scope.get("state", self.state),
        )
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            known_path = any(path == request.path for _, path in self.routes)
            await send_response(send, METHOD_NOT_ALLOWED if known_path else NOT_FOUND)
            return
        try:
            response = await handler(request)
        except BaseException as exc:
            self.errors.append(exc)
            response = INTERNAL_ERROR
        await send_response(send, response)
