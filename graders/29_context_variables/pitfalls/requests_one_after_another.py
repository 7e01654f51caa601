"""Handling the requests in a loop, one after another."""

REJECTED_BY = {"test_requests_are_handled_concurrently": "wrong_answer"}


async def handle_all(
    requests: list[Request], backend: Backend, audit_pool: Executor
) -> list[Response]:
    return [await handle_request(r, backend, audit_pool) for r in requests]
