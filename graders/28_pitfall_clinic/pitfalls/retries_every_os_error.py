"""Retrying `except OSError:` ("network trouble") instead of ConnectionError only.

ConnectionError is one kind of OSError; the others (a PermissionError, a missing file, a
TimeoutError) are not a dropped connection, and no retry fixes them: each is tried
SEND_ATTEMPTS times, with the pauses, before it is raised.
"""

REJECTED_BY = {"test_other_os_errors_are_not_retried": "wrong_answer"}


async def _send_with_retries(self: OrderService, to: str, text: str) -> None:
    for attempt in range(SEND_ATTEMPTS):
        try:
            await self.mailer.send(to, text)
            return
        except OSError:  # "network trouble"
            if attempt == SEND_ATTEMPTS - 1:
                raise
        await asyncio.sleep(0.1 * 2**attempt)


OrderService.send_with_retries = _send_with_retries
