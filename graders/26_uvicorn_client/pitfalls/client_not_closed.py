"""Creating an httpx.AsyncClient and never closing it.

Its keep-alive connection stays open until the garbage collector or the server's idle
timeout ends it: sockets pile up in a long-running program, and the server cannot tell the
client is gone.
"""

REJECTED_BY = {"test_upload_closes_its_connection": "wrong_answer"}


async def upload(url: str, chunks: AsyncIterable[bytes]) -> str:
    client = httpx.AsyncClient(timeout=30.0)
    response = await client.post(url, content=chunks)
    response.raise_for_status()
    return str(response.json()["sha256"])
