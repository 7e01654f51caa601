"""A generator that takes every reading on schedule, collects them, and then yields them.

The readings, their stamps and their times are all right, but the loop body receives the
first one only when the whole session is over: a controller that should react every
second hears nothing for minutes.
"""

REJECTED_BY = {"test_generator_yields_each_reading_as_it_is_read": "wrong_answer"}


async def poll(sensor: Sensor, interval: float, count: int) -> AsyncIterator[Reading]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    readings = []
    for k in range(count):
        due = start + k * interval
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        at = loop.time()
        readings.append(Reading(at, await sensor.read()))
    for reading in readings:
        yield reading
