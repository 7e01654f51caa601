"""Cleaning up after the startup timeout only: a start_server cancelled by its caller leaves the server.

`except TimeoutError:` handles our own deadline, but the caller's (an outer
`asyncio.timeout`, a TaskGroup failing, Ctrl+C) arrives as a cancellation: the server task
is never cancelled and goes on starting in the background.
"""

REJECTED_BY = {"test_cancelled_start_leaves_no_task": "leak"}


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
        await _abandon(server, task)
        raise ServerFailedToStart("did not listen in time") from None
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    return RunningServer(server, task, f"http://{host}:{port}")
