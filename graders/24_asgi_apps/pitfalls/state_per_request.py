"""Entering the lifespan in every request: a new pool (a new database connection) each time.

The lifespan exists so that expensive state is created once per process and shared; opening
it per request pays the connection cost on every call and shares nothing.
"""

REJECTED_BY = {"test_state_is_created_once_and_reaches_every_request": "wrong_answer"}


class App(App):
    async def _serve_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.lifespan is None:
            await super()._serve_http(scope, receive, send)
            return
        async with self.lifespan(self) as state:  # "fresh state, no sharing problems"
            scope = dict(scope)
            scope["state"] = state
            await super()._serve_http(scope, receive, send)
