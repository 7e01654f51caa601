"""Sending every lookup to a thread at once: the default executor's size becomes the limit.

`asyncio.to_thread` runs as many calls as the default executor has threads (6 on a
2-core machine), whatever the vendor allows.
"""

REJECTED_BY = {"test_geocode_all_runs_limit_lookups_at_once": "wrong_answer"}


async def geocode_all(client: Geocoder, addresses: list[str], limit: int) -> list[Coordinates]:
    return list(await asyncio.gather(*(geocode(client, a) for a in addresses)))
