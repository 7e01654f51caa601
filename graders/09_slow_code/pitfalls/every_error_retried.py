"""Retrying every error status, not only 429: a 404 costs three requests and two waits.

A missing page stays missing and a server error rarely heals in a second; only "429 Too
Many Requests" asks the client to come back later. Retrying the rest hammers the shop and
slows the crawl down.
"""

REJECTED_BY = {"test_http_errors_are_raised_at_once": "wrong_answer"}


async def fetch_text(client: httpx.AsyncClient, url: str) -> str:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        response = await client.get(url)
        if response.is_error and attempt < MAX_ATTEMPTS:
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        response.raise_for_status()
        return response.text
    raise AssertionError("unreachable")
