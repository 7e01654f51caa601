"""Giving every request `self.state`, even when the server provides `scope["state"]`.

The server's `scope["state"]` is the request's state when there is one: it holds the
lifespan's state and whatever a middleware added for this request. `self.state` is only the
fallback for a server without lifespan state.
"""

REJECTED_BY = {"test_request_state_is_the_scope_state": "wrong_answer"}


class App(App):
    async def _serve_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope = {key: value for key, value in scope.items() if key != "state"}
        await super()._serve_http(scope, receive, send)  # "self.state has it all anyway"
