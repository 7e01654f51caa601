"""`async with self.lifespan(self)` inside the startup branch: the state is torn down at once.

The block ends as soon as startup is answered, so the pool is closed before the first
request arrives. The context must stay open until `lifespan.shutdown` (one `async with`
around the wait for the shutdown message, or an AsyncExitStack).
"""

REJECTED_BY = {
    "test_lifespan_is_entered_at_startup_and_exited_at_shutdown": "wrong_answer",
    "test_state_is_created_once_and_reaches_every_request": "wrong_answer",
}


class App(App):
    async def _run_lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    async with asyncio.timeout(self.startup_timeout):
                        if self.lifespan is not None:
                            async with self.lifespan(self) as state:
                                self.state.update(state)
                                if "state" in scope:
                                    scope["state"].update(state)
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
