"""One `asyncio.Lock` for the whole cache, held while fetching.

It does stop the stampede for one key, but it serializes everything: a fetch of one key
makes every other key wait, even keys that are already cached. (It also makes waiters
fetch again, one after another, when the backend fails.) Coordinate per key instead.
"""

REJECTED_BY = {
    "test_different_keys_fetch_concurrently": "wrong_answer",
    "test_a_cached_key_answers_during_another_fetch": "wrong_answer",
}


class SingleFlightCache:
    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._values: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def get(self, key: str) -> str:
        async with self._lock:
            if key in self._values:
                return self._values[key]
            value = await self._fetch(key)
            self._values[key] = value
            return value

    async def get_many(self, keys: list[str]) -> dict[str, str]:
        async with asyncio.TaskGroup() as group:
            tasks = {key: group.create_task(self.get(key)) for key in dict.fromkeys(keys)}
        return {key: task.result() for key, task in tasks.items()}
