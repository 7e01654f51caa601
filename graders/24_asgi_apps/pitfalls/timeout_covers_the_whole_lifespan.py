"""One `asyncio.timeout(startup_timeout)` around the whole lifespan call, serving included.

The startup passes, and then the deadline fires while the app is serving: its lifespan is
torn down and the call fails mid-life. The timeout must cover only the entering (leave its
block before serving, or `reschedule(None)` once the lifespan has yielded).
"""

REJECTED_BY = {"test_slow_startup_within_the_timeout_succeeds": "wrong_answer"}


class App(App):
    async def _run_lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        lifespan = self.lifespan(self) if self.lifespan is not None else contextlib.nullcontext({})
        try:
            async with asyncio.timeout(self.startup_timeout):
                async with lifespan as state:
                    self.state.update(state)
                    if "state" in scope:
                        scope["state"].update(state)
                    await send({"type": "lifespan.startup.complete"})
                    await receive()  # lifespan.shutdown
        except Exception as exc:
            await send({"type": "lifespan.startup.failed", "message": repr(exc)})
            return
        await send({"type": "lifespan.shutdown.complete"})
