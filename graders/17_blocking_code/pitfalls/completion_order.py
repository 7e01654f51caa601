"""Collecting the answers as they complete (as_completed): the order of the addresses is lost.

`asyncio.as_completed` yields whichever lookup finished first; appending those answers gives
them in completion order, which the caller cannot map back to the addresses.
"""

REJECTED_BY = {"test_geocode_all_keeps_input_order": "wrong_answer"}


async def geocode_all(client: Geocoder, addresses: list[str], limit: int) -> list[Coordinates]:
    semaphore = asyncio.Semaphore(limit)

    async def one(address: str) -> Coordinates:
        async with semaphore:
            return await geocode(client, address)

    results = []
    for next_done in asyncio.as_completed([one(a) for a in addresses]):
        results.append(await next_done)
    return results
