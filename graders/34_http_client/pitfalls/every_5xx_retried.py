"""Retrying every status of 500 and above: a server bug is hammered max_attempts times."""

REJECTED_BY = {"test_other_statuses_are_not_retried": "wrong_answer"}


async def send_with_retries(client, method, url, *, max_attempts, base_delay, rng):
    retryable = method.upper() in IDEMPOTENT_METHODS
    for attempt in range(1, max_attempts + 1):
        response = await client.request(method, url)
        overloaded = response.status_code == 429 or response.status_code >= 500
        if not retryable or not overloaded or attempt == max_attempts:
            return response
        delay = _retry_after(response)
        if delay is None:
            delay = base_delay * 2 ** (attempt - 1) * rng.uniform(0.5, 1.5)
        await response.aclose()
        await asyncio.sleep(delay)
