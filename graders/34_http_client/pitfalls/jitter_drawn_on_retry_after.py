"""The jitter drawn before knowing whether it is needed: a Retry-After wait uses up a draw
of the rng, so every later backoff gets another factor than the one the caller replays."""

REJECTED_BY = {"test_retry_after_waits_draw_no_jitter": "wrong_answer"}


async def send_with_retries(client, method, url, *, max_attempts, base_delay, rng):
    retryable = method.upper() in IDEMPOTENT_METHODS
    for attempt in range(1, max_attempts + 1):
        response = await client.request(method, url)
        if not retryable or response.status_code not in RETRY_STATUSES or attempt == max_attempts:
            return response
        jitter = rng.uniform(0.5, 1.5)
        delay = _retry_after(response)
        if delay is None:
            delay = base_delay * 2 ** (attempt - 1) * jitter
        await response.aclose()
        await asyncio.sleep(delay)
