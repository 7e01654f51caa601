"""One request too many: `range(max_attempts + 1)`."""

REJECTED_BY = {"test_attempts_are_bounded_and_the_last_answer_returned": "wrong_answer"}


async def send_with_retries(client, method, url, *, max_attempts, base_delay, rng):
    retryable = method.upper() in IDEMPOTENT_METHODS
    for attempt in range(1, max_attempts + 2):
        response = await client.request(method, url)
        if (
            not retryable
            or response.status_code not in RETRY_STATUSES
            or attempt == max_attempts + 1
        ):
            return response
        delay = _retry_after(response)
        if delay is None:
            delay = base_delay * 2 ** (attempt - 1) * rng.uniform(0.5, 1.5)
        await response.aclose()
        await asyncio.sleep(delay)
