"""Reading the whole file, then uploading it as one chunk: the file is never streamed.

The hash is right, but the whole file sits in memory and nothing reaches the server until
the last byte is read. hash_remotely must upload `file_chunks(path, chunk_size)`.
"""

REJECTED_BY = {"test_hash_remotely_streams_the_file_as_it_is_read": "wrong_answer"}


async def hash_remotely(
    path: Path, app: ASGIApp | None = None, chunk_size: int = CHUNK_SIZE
) -> str:
    running = await start_server(app if app is not None else build_hash_app())
    try:
        data = await asyncio.to_thread(path.read_bytes)

        async def body() -> AsyncIterator[bytes]:
            yield data

        return await upload(f"{running.url}/sha256", body())
    finally:
        await stop_server(running)
