"""Sleeping a whole `1/rate` whenever the bucket holds less than one token.

Right when the bucket is quite empty, which is the case in most tests, but a waiter who
arrives when part of a token has already refilled waits for a whole token anyway: the
limiter runs slower than the rate it promises.
"""

REJECTED_BY = {"test_acquire_waits_only_for_the_missing_fraction": "wrong_answer"}


class TokenBucket(TokenBucket):
    async def acquire(self) -> None:
        async with self._lock:
            if self.available() < 1:
                await asyncio.sleep(1 / self.rate)
                self.available()
            self._tokens = max(0.0, self._tokens - 1)
