"""Raising ServerFailedToStart after the startup timeout, but leaving the server's task running.

The task keeps waiting for the app's startup: if that ever completes, a server starts
listening that nobody will stop. Cancel the task and wait for it before raising.
"""

REJECTED_BY = {"test_startup_that_hangs_raises_after_the_startup_timeout": "leak"}


async def start_server(
    app: ASGIApp, graceful_timeout: int = 5, startup_timeout: float = 10.0
) -> RunningServer:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="on",
        log_level="warning",
        timeout_graceful_shutdown=graceful_timeout,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(_serve_in_process(server))
    try:
        async with asyncio.timeout(startup_timeout):
            while not server.started:
                if task.done():
                    raise ServerFailedToStart(f"stopped: {task.exception()!r}")
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise ServerFailedToStart("the server did not listen in time") from None
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    return RunningServer(server, task, f"http://{host}:{port}")
