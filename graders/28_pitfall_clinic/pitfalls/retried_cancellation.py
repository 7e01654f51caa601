"""A retry loop with `except BaseException:` that also retries the cancellation.

notify_shipped's deadline cancels the hanging send; the loop catches the CancelledError,
sleeps and tries again, so `asyncio.timeout` never sees it come back and the call does not
end, and when the caller cancels it too, it ignores that as well.
"""

REJECTED_BY = {"test_cancellation_is_not_retried": "timeout"}


class OrderService(OrderService):
    async def send_with_retries(self, to: str, text: str) -> None:
        for attempt in range(SEND_ATTEMPTS):
            try:
                await self.mailer.send(to, text)
                return
            except BaseException:  # "whatever went wrong, try again"
                if attempt == SEND_ATTEMPTS - 1:
                    raise
            await asyncio.sleep(0.1 * 2**attempt)
