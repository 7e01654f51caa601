"""Passing `app` on as it is: hash_remotely(path) without an app starts a server for None.

The default is documented: no app means the hashing app, `build_hash_app()`.
"""

REJECTED_BY = {"test_hash_remotely_uses_the_hash_app_by_default": "exception"}


async def hash_remotely(
    path: Path, app: ASGIApp | None = None, chunk_size: int = CHUNK_SIZE
) -> str:
    running = await start_server(app)  # type: ignore[arg-type]
    try:
        return await upload(f"{running.url}/sha256", file_chunks(path, chunk_size))
    finally:
        await stop_server(running)
