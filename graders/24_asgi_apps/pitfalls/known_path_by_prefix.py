"""Deciding 405 with `path.startswith(route_path)`: `/links/extra` gets 405 instead of 404.

A path is known only when it equals a route's path; one under it is just another unknown
path. The prefix match tells a client "that resource exists, use another method" about a
resource that does not exist.
"""

REJECTED_BY = {"test_unknown_path_is_not_found": "wrong_answer"}


class App(App):
    async def _serve_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await read_body(receive)
        except ClientDisconnected:
            return
        state = scope.get("state", self.state)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request = Request(scope["method"], scope["path"], headers, body, state)
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            known_path = any(request.path.startswith(path) for _, path in self.routes)
            await send_response(send, METHOD_NOT_ALLOWED if known_path else NOT_FOUND)
            return
        try:
            response = await handler(request)
        except Exception as exc:
            self.errors.append(exc)
            response = INTERNAL_ERROR
        await send_response(send, response)
