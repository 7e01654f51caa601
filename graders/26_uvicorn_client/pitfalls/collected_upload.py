"""Collecting every chunk into one bytes object before posting it.

The request is right and the hash too, but the whole file sits in memory first and nothing
is sent until the last chunk is read: for a 4 GB image that is 4 GB of RAM and no overlap
between reading and sending.
"""

REJECTED_BY = {"test_upload_streams_while_the_server_reads": "wrong_answer"}


async def upload(url: str, chunks: AsyncIterable[bytes]) -> str:
    body = b"".join([piece async for piece in chunks])
    async with httpx.AsyncClient(timeout=30.0) as client:
        response = await client.post(url, content=body)
        response.raise_for_status()
        return str(response.json()["sha256"])
