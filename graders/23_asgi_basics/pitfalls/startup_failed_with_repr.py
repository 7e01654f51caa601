"""Reporting a failed startup with `repr(exc)` instead of the error's text.

The `message` of `lifespan.startup.failed` is the error's text, `str(exc)`: the server logs
it as the reason it refuses to start. `repr(exc)` wraps it in the class name and quotes.
"""

REJECTED_BY = {"test_failed_startup_is_reported": "wrong_answer"}


async def handle_lifespan(scope: Scope, receive: Receive, send: Send, service: Service) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await service.startup()
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await service.shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return
