"""Setting REQUEST_ID and DEADLINE without ever resetting them.

The values stay in the caller's context after the request: a connection that serves its
next request in the same task logs it, at first, under the previous request's ID.
"""

REJECTED_BY = {
    "test_caller_context_is_restored_after_return": "wrong_answer",
    "test_caller_context_is_restored_after_an_error": "wrong_answer",
}


async def handle_request(request: Request, backend: Backend, audit_pool: Executor) -> Response:
    REQUEST_ID.set(request.id)
    DEADLINE.set(request.deadline)
    async with asyncio.timeout_at(request.deadline), asyncio.TaskGroup() as group:
        user = group.create_task(backend.user(request.user))
        orders = group.create_task(backend.orders(request.user))
    page = await asyncio.to_thread(backend.render, user.result(), orders.result())
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    audit = await loop.run_in_executor(audit_pool, context.run, backend.audit, page)
    return Response(request.id, user.result(), orders.result(), page, audit)
