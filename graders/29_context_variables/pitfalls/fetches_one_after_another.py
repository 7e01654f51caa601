"""Awaiting user() and then orders(): correct values, twice the time."""

REJECTED_BY = {"test_user_and_orders_are_fetched_together": "wrong_answer"}


async def handle_request(request: Request, backend: Backend, audit_pool: Executor) -> Response:
    id_token = REQUEST_ID.set(request.id)
    deadline_token = DEADLINE.set(request.deadline)
    try:
        async with asyncio.timeout_at(request.deadline):
            user = await backend.user(request.user)
            orders = await backend.orders(request.user)
        page = await asyncio.to_thread(backend.render, user, orders)
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        audit = await loop.run_in_executor(audit_pool, context.run, backend.audit, page)
        return Response(request.id, user, orders, page, audit)
    finally:
        DEADLINE.reset(deadline_token)
        REQUEST_ID.reset(id_token)
