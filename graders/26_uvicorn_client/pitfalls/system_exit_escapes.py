"""Running `server.serve()` directly as the task, without catching uvicorn's `sys.exit()`.

When the app's startup fails, uvicorn calls `sys.exit()`. Inside a task, SystemExit is not
kept like an ordinary exception: it escapes the event loop and ends the whole program.
"""

REJECTED_BY = {"test_failed_startup_raises_server_failed_to_start": "exception"}


async def _serve_in_process(server: uvicorn.Server) -> None:
    await server.serve()
