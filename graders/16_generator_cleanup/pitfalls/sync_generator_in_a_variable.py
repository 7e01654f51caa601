"""Keeping the sync generator in a variable and breaking out, without `closing`.

Nothing closes the generator at `break`: the variable still refers to it. The UPDATE
runs with the cursor open, the connection closes under it, and the cursor is closed
only when the function returns and the variable goes away.
"""

REJECTED_BY = {"test_sync_cleanup_order": "wrong_answer"}


def remind_first_overdue(
    db: Database, today: date, notify: Callable[[Invoice], None]
) -> Invoice | None:
    found: Invoice | None = None
    with db.connect() as conn:
        pending = iter_invoices(conn)
        for invoice in pending:
            if invoice.due < today:
                notify(invoice)
                found = invoice
                break
        if found is not None:
            conn.execute(mark_reminded(found))
    return found
