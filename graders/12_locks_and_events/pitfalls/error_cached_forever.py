"""Keeping a failed Flight in the cache "so that late callers get the error too".

Every waiter does get the error, but the flight stays registered after the failure, so
every later call finds it finished, holding the old error, and raises it again without
fetching. One blip of the backend poisons the key until the process restarts.
"""

REJECTED_BY = {"test_the_next_call_after_an_error_retries": "wrong_answer"}


async def _lead(self: SingleFlightCache, key: str) -> str:
    flight = Flight()
    self._flights[key] = flight
    try:
        value = await self._fetch(key)
    except Exception as exc:
        flight.error = exc
        raise
    else:
        self._values[key] = value
        flight.value = value
        return value
    finally:
        if flight.error is None:
            del self._flights[key]  # a failed flight stays, with its error
        flight.done.set()


SingleFlightCache._lead = _lead
