"""Polling the bucket with `await asyncio.sleep(0)` until a token shows up.

It yields to the loop, so nothing is "blocked", but the loop is never idle: the CPU spins
at 100 % while waiting, and a fake clock never moves, since it only jumps ahead when the
loop has nothing to run.
"""

REJECTED_BY = {
    "test_acquisitions_take_the_expected_time": "timeout",
    "test_waiters_are_served_in_fifo_order": "timeout",
}


class TokenBucket(TokenBucket):
    async def acquire(self) -> None:
        async with self._lock:
            while self.available() < 1:
                await asyncio.sleep(0)
            self._tokens -= 1
