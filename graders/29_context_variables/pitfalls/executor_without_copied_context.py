"""Running the audit with `run_in_executor(pool, backend.audit, page)`, without copying the context.

run_in_executor does not copy the context (to_thread does): the audit runs in the worker
thread's own context, where REQUEST_ID is "-" and DEADLINE is None, so its log line
belongs to no request.
"""

REJECTED_BY = {"test_audit_on_the_pool_sees_the_request": "wrong_answer"}


async def handle_request(request: Request, backend: Backend, audit_pool: Executor) -> Response:
    id_token = REQUEST_ID.set(request.id)
    deadline_token = DEADLINE.set(request.deadline)
    try:
        async with asyncio.timeout_at(request.deadline), asyncio.TaskGroup() as group:
            user = group.create_task(backend.user(request.user))
            orders = group.create_task(backend.orders(request.user))
        page = await asyncio.to_thread(backend.render, user.result(), orders.result())
        loop = asyncio.get_running_loop()
        audit = await loop.run_in_executor(audit_pool, backend.audit, page)
        return Response(request.id, user.result(), orders.result(), page, audit)
    finally:
        DEADLINE.reset(deadline_token)
        REQUEST_ID.reset(id_token)
