"""Reading the file with `file.read()` on the event loop.

A local disk read is usually quick, but a network filesystem, a cold cache or a pipe can
take seconds, and the whole loop (the server beside it too) waits meanwhile.
"""

REJECTED_BY = {"test_file_chunks_reads_off_the_loop": "timeout"}  # the loop held past 1 s


async def file_chunks(path: Path, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(chunk_size):
            yield chunk
