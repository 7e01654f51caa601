"""Closing the stream without stopping the sensor: its thread runs on forever.

The driver's thread keeps reading and calling back into a stream nobody reads, and keeps
the program from exiting.
"""

REJECTED_BY = {"test_closing_stops_and_joins_the_sensor": "wrong_answer"}


async def _aclose(self: SensorStream) -> None:
    pass  # "the readings just stop being read"


SensorStream.aclose = _aclose
