"""n counts the backoff waits, not the attempts: a Retry-After wait does not advance it, so
the first backoff after it is base_delay * 1 instead of base_delay * 2**(attempt - 1)."""

REJECTED_BY = {"test_backoff_counts_every_attempt": "wrong_answer"}


async def send_with_retries(client, method, url, *, max_attempts, base_delay, rng):
    retryable = method.upper() in IDEMPOTENT_METHODS
    backoffs = 0
    for attempt in range(1, max_attempts + 1):
        response = await client.request(method, url)
        if not retryable or response.status_code not in RETRY_STATUSES or attempt == max_attempts:
            return response
        delay = _retry_after(response)
        if delay is None:
            backoffs += 1
            delay = base_delay * 2 ** (backoffs - 1) * rng.uniform(0.5, 1.5)
        await response.aclose()
        await asyncio.sleep(delay)
