"""Calling the blocking client straight from the coroutine: the event loop stops with it.

`async def` does not make a blocking call non-blocking: `client.lookup` runs on the loop's
own thread, and nothing else can run until it returns.
"""

REJECTED_BY = {
    "test_geocode_returns_the_client_answer": "leak",
    "test_lookup_runs_off_the_event_loop": "wrong_answer",
    "test_two_lookups_overlap": "wrong_answer",
}


async def geocode(client: Geocoder, address: str) -> Coordinates:
    return client.lookup(address)
