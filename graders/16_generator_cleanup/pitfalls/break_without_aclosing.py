"""Breaking out of `async for` over the async generator without `contextlib.aclosing`.

An async generator cannot be closed without awaiting its `finally`, so asyncio only
schedules its aclose() on the loop when it is dropped: the UPDATE and the closing of the
connection happen first, the cursor is closed one loop iteration later. The same happens
when a CancelledError flies out of the loop.
"""

REJECTED_BY = {
    "test_async_cleanup_order": "wrong_answer",
    "test_async_cleanup_order_under_cancellation": "wrong_answer",
}


async def aremind_first_overdue(
    db: AsyncDatabase, today: date, notify: Callable[[Invoice], Awaitable[None]]
) -> Invoice | None:
    found: Invoice | None = None
    async with db.connect() as conn:
        async for invoice in aiter_invoices(conn):
            if invoice.due < today:
                await notify(invoice)
                found = invoice
                break
        if found is not None:
            await conn.execute(mark_reminded(found))
    return found
