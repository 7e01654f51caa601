"""Closing the client only on the happy path: an error status leaves its connection open.

`raise_for_status()` raises before the `aclose()` below it: every failed upload leaks a
keep-alive connection. `async with httpx.AsyncClient()` closes it on every way out.
"""

REJECTED_BY = {"test_upload_closes_its_connection_after_an_error_status": "wrong_answer"}


async def upload(url: str, chunks: AsyncIterable[bytes]) -> str:
    client = httpx.AsyncClient(timeout=30.0)
    response = await client.post(url, content=chunks)
    response.raise_for_status()
    await client.aclose()
    return str(response.json()["sha256"])
