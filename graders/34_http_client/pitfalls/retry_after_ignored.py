"""Always the jittered backoff, even when the server said how long to wait."""

REJECTED_BY = {"test_retry_after_is_obeyed": "wrong_answer"}


async def send_with_retries(client, method, url, *, max_attempts, base_delay, rng):
    retryable = method.upper() in IDEMPOTENT_METHODS
    for attempt in range(1, max_attempts + 1):
        response = await client.request(method, url)
        if not retryable or response.status_code not in RETRY_STATUSES or attempt == max_attempts:
            return response
        await response.aclose()
        await asyncio.sleep(base_delay * 2 ** (attempt - 1) * rng.uniform(0.5, 1.5))
