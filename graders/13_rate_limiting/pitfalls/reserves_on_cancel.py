"""Taking the token before waiting for it (the count goes negative: a reservation).

It is fair and on time, until a waiter is cancelled: its reserved token is gone, and
everybody behind it is served one token later than they should be.
"""

REJECTED_BY = {"test_cancelled_waiter_spends_no_token": "wrong_answer"}


class TokenBucket(TokenBucket):
    async def acquire(self) -> None:
        self.available()
        self._tokens -= 1  # reserve our token now; wait until the debt is paid off
        if self._tokens < 0:
            await asyncio.sleep(-self._tokens / self.rate)
