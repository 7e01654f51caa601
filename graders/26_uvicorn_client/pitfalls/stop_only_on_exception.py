"""Stopping the server in `except Exception:` and on success: a cancellation leaves it running.

CancelledError is a BaseException, not an Exception: when the caller cancels hash_remotely
(a timeout, Ctrl+C, a TaskGroup failing), the `except Exception` branch is skipped and the
server keeps its task and its port. `finally:` runs on every way out.
"""

REJECTED_BY = {"test_server_is_stopped_when_hash_remotely_is_cancelled": "wrong_answer"}


async def hash_remotely(
    path: Path, app: ASGIApp | None = None, chunk_size: int = CHUNK_SIZE
) -> str:
    running = await start_server(app if app is not None else build_hash_app())
    try:
        result = await upload(f"{running.url}/sha256", file_chunks(path, chunk_size))
    except Exception:
        await stop_server(running)
        raise
    await stop_server(running)
    return result
