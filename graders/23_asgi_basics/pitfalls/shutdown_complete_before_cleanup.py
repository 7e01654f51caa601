"""Answering `lifespan.shutdown.complete` first, then cleaning up.

The server takes that message as "the app is done": it may exit (and the process with it)
while `service.shutdown()` is still flushing the log. The answer comes after the cleanup.
"""

REJECTED_BY = {"test_shutdown_complete_waits_for_the_service": "wrong_answer"}


async def handle_lifespan(scope: Scope, receive: Receive, send: Send, service: AccessLog) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await service.startup()
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})  # "tell the server right away"
            await service.shutdown()
            return
