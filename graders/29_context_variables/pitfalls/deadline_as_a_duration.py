"""`asyncio.timeout(request.deadline)`: the deadline taken as a number of seconds from now.

request.deadline is a time of the loop's clock; as a delay it ends the fetches at
2 × now + 2, long after the request should have given up.
"""

REJECTED_BY = {"test_deadline_stops_the_fetches_at_that_time": "wrong_answer"}


async def handle_request(request: Request, backend: Backend, audit_pool: Executor) -> Response:
    id_token = REQUEST_ID.set(request.id)
    deadline_token = DEADLINE.set(request.deadline)
    try:
        async with asyncio.timeout(request.deadline), asyncio.TaskGroup() as group:
            user = group.create_task(backend.user(request.user))
            orders = group.create_task(backend.orders(request.user))
        page = await asyncio.to_thread(backend.render, user.result(), orders.result())
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        audit = await loop.run_in_executor(audit_pool, context.run, backend.audit, page)
        return Response(request.id, user.result(), orders.result(), page, audit)
    finally:
        DEADLINE.reset(deadline_token)
        REQUEST_ID.reset(id_token)
