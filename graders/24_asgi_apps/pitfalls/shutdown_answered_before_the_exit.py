"""Answering `lifespan.shutdown.complete` first and leaving the lifespan afterwards.

The server takes that answer as "the app is done" and may end the process at once, while
the code after the lifespan's `yield` (closing the pool) is still running.
"""

REJECTED_BY = {
    "test_lifespan_is_entered_at_startup_and_exited_at_shutdown": "wrong_answer",
    "test_state_is_created_once_and_reaches_every_request": "wrong_answer",
}


class App(App):
    async def _run_lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with contextlib.AsyncExitStack() as stack:
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    try:
                        async with asyncio.timeout(self.startup_timeout):
                            state = (
                                await stack.enter_async_context(self.lifespan(self))
                                if self.lifespan is not None
                                else {}
                            )
                    except Exception as exc:
                        await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                        return
                    self.state.update(state)
                    if "state" in scope:
                        scope["state"].update(state)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})  # "don't keep it waiting"
                    await stack.aclose()
                    return
