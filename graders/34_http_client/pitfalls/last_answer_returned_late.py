"""The wait comes before the check for the last attempt: the right requests, but the last
503 is handed back only after one more Retry-After wait or backoff that no request follows."""

REJECTED_BY = {"test_the_last_answer_is_returned_without_waiting": "wrong_answer"}


async def send_with_retries(client, method, url, *, max_attempts, base_delay, rng):
    retryable = method.upper() in IDEMPOTENT_METHODS
    attempt = 0
    while True:
        attempt += 1
        response = await client.request(method, url)
        if not retryable or response.status_code not in RETRY_STATUSES:
            return response
        delay = _retry_after(response)
        if delay is None:
            delay = base_delay * 2 ** (attempt - 1) * rng.uniform(0.5, 1.5)
        await asyncio.sleep(delay)
        if attempt >= max_attempts:
            return response
        await response.aclose()
