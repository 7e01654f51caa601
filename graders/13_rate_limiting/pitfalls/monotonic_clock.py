"""Refilling from `time.monotonic()` instead of the event loop's clock.

`asyncio.sleep` waits on `loop.time()`. A bucket on another clock disagrees with every
wait it computes, and a fake loop clock (as in tests, or looptime) cannot drive it.
"""

REJECTED_BY = {"test_available_refills_at_rate_up_to_burst": "wrong_answer"}

import time


class TokenBucket(TokenBucket):
    def available(self) -> float:
        now = time.monotonic()
        if self._updated is not None:
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        return self._tokens
