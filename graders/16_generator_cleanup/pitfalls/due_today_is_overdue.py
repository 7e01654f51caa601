"""`<=` where `<` belongs: an invoice due today is reminded as overdue."""

REJECTED_BY = {
    "test_sync_due_today_is_not_overdue": "wrong_answer",
    "test_async_nothing_overdue": "wrong_answer",
}


def remind_first_overdue(
    db: Database, today: date, notify: Callable[[Invoice], None]
) -> Invoice | None:
    found: Invoice | None = None
    with db.connect() as conn:
        with contextlib.closing(iter_invoices(conn)) as pending:
            for invoice in pending:
                if invoice.due <= today:
                    notify(invoice)
                    found = invoice
                    break
        if found is not None:
            conn.execute(mark_reminded(found))
    return found


async def aremind_first_overdue(
    db: AsyncDatabase, today: date, notify: Callable[[Invoice], Awaitable[None]]
) -> Invoice | None:
    found: Invoice | None = None
    async with db.connect() as conn:
        async with contextlib.aclosing(aiter_invoices(conn)) as pending:
            async for invoice in pending:
                if invoice.due <= today:
                    await notify(invoice)
                    found = invoice
                    break
        if found is not None:
            await conn.execute(mark_reminded(found))
    return found
