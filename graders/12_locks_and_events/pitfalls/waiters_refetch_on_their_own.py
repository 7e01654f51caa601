"""Waiters that wake to a cancelled leader each fetch the key themselves.

Nobody hangs and everybody gets the value, but each waiter fetches on its own, outside
any Flight: the stampede the cache exists to prevent comes back the moment a leader is
cancelled (a timeout, a client gone), which is when the backend is slow already.
"""

REJECTED_BY = {"test_a_cancelled_leader_does_not_strand_the_waiters": "wrong_answer"}


async def get(self: SingleFlightCache, key: str) -> str:
    if key in self._values:
        return self._values[key]
    flight = self._flights.get(key)
    if flight is None:
        return await self._lead(key)
    await flight.done.wait()
    if flight.error is not None:
        raise flight.error
    if flight.value is not None:
        return flight.value
    value = await self._fetch(key)  # the leader was cancelled: "just fetch it myself"
    self._values[key] = value
    return value


SingleFlightCache.get = get
