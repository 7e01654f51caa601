"""Spacing every request 1/rate apart: a steady pace that ignores the burst.

The gateway allows `burst` requests at once; a limiter that never uses that allowance is
needlessly slow for the first requests.
"""

REJECTED_BY = {
    "test_burst_is_served_at_once": "wrong_answer",
    "test_acquisitions_take_the_expected_time": "wrong_answer",
}


class TokenBucket(TokenBucket):
    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            next_slot = getattr(self, "_next_slot", loop.time())
            if next_slot > loop.time():
                await asyncio.sleep(next_slot - loop.time())
            self._next_slot = loop.time() + 1 / self.rate
