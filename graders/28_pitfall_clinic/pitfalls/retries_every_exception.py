"""`except Exception:` in the retry loop: the cancellation passes, but every other error is retried.

A refused address or a bug in the caller's data fails the same way three times, slowly,
and the log shows three "attempts" of something that was never transient. Retry the error
you know is transient: ConnectionError.
"""

REJECTED_BY = {"test_other_errors_are_not_retried": "wrong_answer"}


async def _send_with_retries(self: OrderService, to: str, text: str) -> None:
    for attempt in range(SEND_ATTEMPTS):
        try:
            await self.mailer.send(to, text)
            return
        except Exception:  # "CancelledError is not an Exception, so this is safe"
            if attempt == SEND_ATTEMPTS - 1:
                raise
        await asyncio.sleep(0.1 * 2**attempt)


OrderService.send_with_retries = _send_with_retries
