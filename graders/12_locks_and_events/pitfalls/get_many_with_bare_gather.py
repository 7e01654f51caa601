"""get_many with a bare `gather`: a failing key leaves the other gets running.

gather raises the first error at once; the other keys' gets (and their fetches) go on
in tasks nobody awaits, after get_many has already given up.
"""

REJECTED_BY = {"test_get_many_fails_with_nothing_left_running": "leak"}


async def get_many(self: SingleFlightCache, keys: list[str]) -> dict[str, str]:
    distinct = list(dict.fromkeys(keys))
    values = await asyncio.gather(*(self.get(key) for key in distinct))
    return dict(zip(distinct, values))


SingleFlightCache.get_many = get_many
