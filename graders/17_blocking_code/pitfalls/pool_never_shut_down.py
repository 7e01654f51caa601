"""Never shutting the pool down: its threads outlive the service.

A ThreadPoolExecutor keeps its worker threads until `shutdown()`; forgetting it leaks one
idle thread per worker, for the rest of the program.
"""

REJECTED_BY = {"test_aclose_stops_the_pool_threads": "wrong_answer"}


async def _aclose(self: GeocoderPool) -> None:
    pass  # "the threads are idle anyway"


GeocoderPool.aclose = _aclose
