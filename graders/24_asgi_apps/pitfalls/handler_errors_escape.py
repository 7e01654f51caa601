"""Letting a handler's exception escape the app instead of answering 500.

The server then drops the connection with no answer at all (the client sees a reset), and
the error never reaches `app.errors`.
"""

REJECTED_BY = {"test_failing_handler_answers_500_and_the_app_keeps_serving": "exception"}


class App(App):
    async def _serve_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        request = Request(
            method=scope["method"],
            path=scope["path"],
            headers={k.decode().lower(): v.decode() for k, v in scope["headers"]},
            body=body,
            state=scope.get("state", self.state),
        )
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            known_path = any(path == request.path for _, path in self.routes)
            await send_response(send, METHOD_NOT_ALLOWED if known_path else NOT_FOUND)
            return
        await send_response(send, await handler(request))
