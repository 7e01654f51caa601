"""Waiting for `server.started` with no deadline: a startup that hangs hangs start_server too.

`startup_timeout` is the caller's bound on how long the server may take to listen. An app
whose startup never completes (a database that never answers) must give
ServerFailedToStart after that long, not a program that waits forever.
"""

REJECTED_BY = {"test_startup_that_hangs_raises_after_the_startup_timeout": "timeout"}


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
    while not server.started:
        if task.done():
            await asyncio.wait({task})
            raise ServerFailedToStart(f"the server stopped before listening: {task.exception()!r}")
        await asyncio.sleep(0.01)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    return RunningServer(server, task, f"http://{host}:{port}")
