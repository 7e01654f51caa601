"""Every waiter sleeps on its own and grabs whatever token is there when it wakes up.

All the waiters wake up at the same moment for a single token; whichever the loop runs
first wins and the others go back to sleep, so the order of service is luck, not arrival.
"""

REJECTED_BY = {"test_waiters_are_served_in_fifo_order": "wrong_answer"}


class TokenBucket(TokenBucket):
    async def acquire(self) -> None:
        while self.available() < 1 - 1e-9:
            await asyncio.sleep((1 - self._tokens) / self.rate)
        self._tokens -= 1
