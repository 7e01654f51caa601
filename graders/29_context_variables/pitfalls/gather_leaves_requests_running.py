"""`asyncio.gather` over the requests: the first failure comes out alone, and the other
requests keep running after handle_all has raised."""

REJECTED_BY = {"test_a_failing_request_stops_the_others": "leak"}


async def handle_all(
    requests: list[Request], backend: Backend, audit_pool: Executor
) -> list[Response]:
    return list(await asyncio.gather(*(handle_request(r, backend, audit_pool) for r in requests)))
