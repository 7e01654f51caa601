"""Entering the lifespan with no timeout: a startup that hangs hangs the server forever.

A database that never answers leaves the server neither serving nor exiting; with
`asyncio.timeout(self.startup_timeout)` it reports `lifespan.startup.failed` and stops.
"""

REJECTED_BY = {"test_hanging_startup_fails_after_the_timeout": "timeout"}


class App(App):
    async def _run_lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with contextlib.AsyncExitStack() as stack:
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    try:
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
                    await stack.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
