"""The method compared as given: a lower-case "get" is taken for a non-idempotent method."""

REJECTED_BY = {"test_every_idempotent_method_is_retried": "wrong_answer"}


async def send_with_retries(client, method, url, *, max_attempts, base_delay, rng):
    retryable = method in IDEMPOTENT_METHODS
    for attempt in range(1, max_attempts + 1):
        response = await client.request(method, url)
        if not retryable or response.status_code not in RETRY_STATUSES or attempt == max_attempts:
            return response
        delay = _retry_after(response)
        if delay is None:
            delay = base_delay * 2 ** (attempt - 1) * rng.uniform(0.5, 1.5)
        await response.aclose()
        await asyncio.sleep(delay)
