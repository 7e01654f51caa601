"""Raising a new ConnectionError of one's own after the last attempt, not the last failure.

The caller learns that something failed, but not what: the provider's own error (its
message, its traceback) is only a `__cause__` now, and code that inspects the error it gets
(an errno, a subclass such as ConnectionResetError) sees a generic one.
"""

REJECTED_BY = {"test_last_failure_is_raised": "wrong_answer"}


async def _send_with_retries(self: OrderService, to: str, text: str) -> None:
    for attempt in range(SEND_ATTEMPTS):
        try:
            await self.mailer.send(to, text)
            return
        except ConnectionError as exc:
            if attempt == SEND_ATTEMPTS - 1:
                raise ConnectionError(
                    f"gave up sending to {to} after {SEND_ATTEMPTS} attempts"
                ) from exc
        await asyncio.sleep(0.1 * 2**attempt)


OrderService.send_with_retries = _send_with_retries
