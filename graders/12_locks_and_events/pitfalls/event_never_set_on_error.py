"""Setting the Event only after a successful fetch: on an error the waiters hang forever.

The leader's exception propagates out of the fetch, past the `done.set()` that follows
it. The callers waiting on the Event are never woken: a failing backend turns into
requests that never complete. Set the Event in a `finally:`.
"""

REJECTED_BY = {"test_an_error_reaches_every_waiter": "timeout"}


async def _lead(self: SingleFlightCache, key: str) -> str:
    flight = Flight()
    self._flights[key] = flight
    value = await self._fetch(key)
    self._values[key] = value
    flight.value = value
    del self._flights[key]
    flight.done.set()
    return value


SingleFlightCache._lead = _lead
