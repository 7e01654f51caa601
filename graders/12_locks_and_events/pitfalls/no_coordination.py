"""Check the cache, fetch on a miss, store: no coordination between concurrent callers.

Every caller that arrives before the first fetch has finished sees a miss and fetches
too: five callers, five identical requests to the backend. Checking the cache is not
enough; the callers must also know that a fetch is already in flight.
"""

REJECTED_BY = {"test_concurrent_callers_share_one_fetch": "wrong_answer"}


class SingleFlightCache:
    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._values: dict[str, str] = {}
        self._flights: dict[str, Flight] = {}

    async def get(self, key: str) -> str:
        if key in self._values:
            return self._values[key]
        value = await self._fetch(key)
        self._values[key] = value
        return value

    async def get_many(self, keys: list[str]) -> dict[str, str]:
        async with asyncio.TaskGroup() as group:
            tasks = {key: group.create_task(self.get(key)) for key in dict.fromkeys(keys)}
        return {key: task.result() for key, task in tasks.items()}
