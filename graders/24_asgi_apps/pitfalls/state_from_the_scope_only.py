"""Taking the request's state from `scope["state"]` only: a server without lifespan state breaks it.

Lifespan state is an optional part of ASGI: a server that does not support it gives no
`state` in the scope, and every request then fails. The app's own `self.state` is the fallback.
"""

REJECTED_BY = {"test_state_reaches_requests_when_the_server_keeps_none": "exception"}


class App(App):
    async def _serve_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope = dict(scope)
        scope["state"] = scope["state"]  # "the server always gives it" (KeyError otherwise)
        await super()._serve_http(scope, receive, send)
