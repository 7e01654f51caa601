"""Answering 404 or 405 before reading the body: a client gone mid-upload still gets one.

The body is read first, whatever the route: a client that disconnects mid-upload gets
nothing, not even a 404. Routing first sends an answer nobody is listening for.
"""

REJECTED_BY = {"test_client_gone_mid_upload_to_an_unrouted_request_gets_nothing": "wrong_answer"}


class App(App):
    async def _serve_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["method"], scope["path"]) not in self.routes:  # "no need to read it"
            known_path = any(path == scope["path"] for _, path in self.routes)
            await send_response(send, METHOD_NOT_ALLOWED if known_path else NOT_FOUND)
            return
        await super()._serve_http(scope, receive, send)
