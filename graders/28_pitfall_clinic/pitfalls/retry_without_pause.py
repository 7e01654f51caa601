"""Retrying a dropped connection at once, without the pause between attempts.

The provider just dropped the connection: hammering it again in the same instant usually
fails the same way. The pause (0.1 s, then 0.2 s...) is part of what the method does.
"""

REJECTED_BY = {
    "test_dropped_connection_is_retried": "wrong_answer",
    "test_last_failure_is_raised": "wrong_answer",
}


async def _send_with_retries(self: OrderService, to: str, text: str) -> None:
    for attempt in range(SEND_ATTEMPTS):
        try:
            await self.mailer.send(to, text)
            return
        except ConnectionError:
            if attempt == SEND_ATTEMPTS - 1:
                raise


OrderService.send_with_retries = _send_with_retries
