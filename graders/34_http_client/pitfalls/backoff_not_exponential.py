"""The same jittered base_delay every time: the backoff never grows."""

REJECTED_BY = {"test_backoff_is_exponential_with_jitter": "wrong_answer"}


async def send_with_retries(client, method, url, *, max_attempts, base_delay, rng):
    retryable = method.upper() in IDEMPOTENT_METHODS
    for attempt in range(1, max_attempts + 1):
        response = await client.request(method, url)
        if not retryable or response.status_code not in RETRY_STATUSES or attempt == max_attempts:
            return response
        delay = _retry_after(response)
        if delay is None:
            delay = base_delay * rng.uniform(0.5, 1.5)
        await response.aclose()
        await asyncio.sleep(delay)
