"""Resetting the variables after the work, but not in a `finally:`.

A request that fails (the backend raises, the deadline passes) skips the reset and leaves
its ID and deadline in the caller's context.
"""

REJECTED_BY = {"test_caller_context_is_restored_after_an_error": "wrong_answer"}


async def handle_request(request: Request, backend: Backend, audit_pool: Executor) -> Response:
    id_token = REQUEST_ID.set(request.id)
    deadline_token = DEADLINE.set(request.deadline)
    async with asyncio.timeout_at(request.deadline), asyncio.TaskGroup() as group:
        user = group.create_task(backend.user(request.user))
        orders = group.create_task(backend.orders(request.user))
    page = await asyncio.to_thread(backend.render, user.result(), orders.result())
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    audit = await loop.run_in_executor(audit_pool, context.run, backend.audit, page)
    DEADLINE.reset(deadline_token)
    REQUEST_ID.reset(id_token)
    return Response(request.id, user.result(), orders.result(), page, audit)
