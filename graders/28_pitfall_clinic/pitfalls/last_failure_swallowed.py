"""Giving up quietly after the last attempt: the email is lost and nobody learns it.

The retry loop catches ConnectionError every time, the last time too, and then simply
ends: the caller thinks the email went out.
"""

REJECTED_BY = {"test_last_failure_is_raised": "wrong_answer"}


async def _send_with_retries(self: OrderService, to: str, text: str) -> None:
    for attempt in range(SEND_ATTEMPTS):
        try:
            await self.mailer.send(to, text)
            return
        except ConnectionError:
            pass  # "try again"
        await asyncio.sleep(0.1 * 2**attempt)


OrderService.send_with_retries = _send_with_retries
