"""Sleeping at the top of the loop, before every reading, the first one included.

The readings are evenly spaced, but all of them one interval late: the controller waits
a whole interval before it knows the temperature at all.
"""

REJECTED_BY = {"test_generator_first_reading_is_immediate": "wrong_answer"}


async def poll(sensor: Sensor, interval: float, count: int) -> AsyncIterator[Reading]:
    loop = asyncio.get_running_loop()
    for _ in range(count):
        await asyncio.sleep(interval)
        at = loop.time()
        yield Reading(at, await sensor.read())
