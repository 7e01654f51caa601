"""Running the shutdown hook but never sending `lifespan.shutdown.complete`.

The server waits for that message before it exits; without it, every deploy stalls until
the server's own timeout gives up on the app.
"""

REJECTED_BY = {"test_lifespan_answers_startup_and_shutdown": "wrong_answer"}


async def handle_lifespan(scope: Scope, receive: Receive, send: Send, service: Service) -> None:
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
            await service.shutdown()
            return  # "we're done anyway"
