"""`asyncio.gather` for user() and orders(): when one fails, the other keeps running after
handle_request has raised."""

REJECTED_BY = {"test_a_failing_fetch_stops_the_other": "leak"}


async def handle_request(request: Request, backend: Backend, audit_pool: Executor) -> Response:
    id_token = REQUEST_ID.set(request.id)
    deadline_token = DEADLINE.set(request.deadline)
    try:
        async with asyncio.timeout_at(request.deadline):
            user, orders = await asyncio.gather(
                backend.user(request.user), backend.orders(request.user)
            )
        page = await asyncio.to_thread(backend.render, user, orders)
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        audit = await loop.run_in_executor(audit_pool, context.run, backend.audit, page)
        return Response(request.id, user, orders, page, audit)
    finally:
        DEADLINE.reset(deadline_token)
        REQUEST_ID.reset(id_token)
