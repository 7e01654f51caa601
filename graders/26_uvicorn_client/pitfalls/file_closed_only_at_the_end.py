"""Closing the file after the loop instead of with `with`: a consumer that stops early leaves it open.

When the consumer stops (break, an error, `aclose()`), the generator gets GeneratorExit at
its `yield` and the lines after the loop never run: the file is left to the garbage collector.
"""

REJECTED_BY = {"test_file_chunks_closes_the_file_when_the_consumer_stops_early": "wrong_answer"}


async def file_chunks(path: Path, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
    file = path.open("rb")
    while chunk := await asyncio.to_thread(file.read, chunk_size):
        yield chunk
    file.close()
