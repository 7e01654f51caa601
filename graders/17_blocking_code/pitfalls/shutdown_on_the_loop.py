"""Calling `executor.shutdown(wait=True)` on the loop: it waits for the running lookups.

Shutting down joins the worker threads, a blocking call like the lookups themselves: made
from a coroutine, it freezes the event loop until every running lookup has finished.
"""

REJECTED_BY = {"test_aclose_waits_for_lookups_without_blocking_the_loop": "leak"}


async def _aclose(self: GeocoderPool) -> None:
    self._executor.shutdown(wait=True)


GeocoderPool.aclose = _aclose
