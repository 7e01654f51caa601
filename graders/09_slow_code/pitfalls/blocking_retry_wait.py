"""Waiting for Retry-After with `time.sleep`: the whole event loop stops, not just this page.

Every other download on the loop is frozen for the length of the sleep.
"""

REJECTED_BY = {
    "test_rate_limited_request_waits_retry_after": "wrong_answer",
    "test_crawl_returns_every_title": "leak",
}


async def fetch_text(client: httpx.AsyncClient, url: str) -> str:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        response = await client.get(url)
        if response.status_code == 429 and attempt < MAX_ATTEMPTS:
            time.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        response.raise_for_status()
        return response.text
    raise AssertionError("unreachable")
