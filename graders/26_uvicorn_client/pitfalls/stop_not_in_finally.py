"""Stopping the server only on the happy path, not in a `finally:`.

When the upload raises, the server is never stopped: its task keeps running and its port
stays open for as long as the program lives.
"""

REJECTED_BY = {"test_server_is_stopped_when_the_upload_fails": "wrong_answer"}


async def hash_remotely(
    path: Path, app: ASGIApp | None = None, chunk_size: int = CHUNK_SIZE
) -> str:
    running = await start_server(app if app is not None else build_hash_app())
    result = await upload(f"{running.url}/sha256", file_chunks(path, chunk_size))
    await stop_server(running)
    return result
