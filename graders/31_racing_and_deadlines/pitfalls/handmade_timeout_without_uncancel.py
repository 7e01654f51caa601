"""A per-attempt timeout made by hand (`call_later(t, task.cancel)`) that never calls
`task.uncancel()`: its cancellation requests stay pending on the task."""

REJECTED_BY = {
    "test_no_cancellation_request_is_left_behind": "wrong_answer",
    "test_enclosing_timeout_is_not_retried": "wrong_answer",
}


async def retry(op, *, attempts, per_attempt, backoff):
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for attempt in range(1, attempts + 1):
        fired = []
        handle = loop.call_later(per_attempt, lambda: (fired.append(True), task.cancel()))
        try:
            return await op()
        except asyncio.CancelledError:
            if not fired:
                raise
            if attempt == attempts:
                raise TimeoutError from None
        except ConnectionError:
            if attempt == attempts:
                raise
        finally:
            handle.cancel()
        await asyncio.sleep(backoff)
