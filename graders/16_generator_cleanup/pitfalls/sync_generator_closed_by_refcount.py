"""Breaking out of `for invoice in iter_invoices(conn):` with no `closing`, trusting CPython.

Only the `for` loop refers to the generator, so on CPython its reference count drops to
zero at `break` and it is closed there, cursor first: the order looks right. But that is
luck, not code: a traceback, a debugger, a list that kept it, or PyPy's garbage collector
keeps the generator alive, and then the UPDATE runs and the connection closes under the
open cursor. `contextlib.closing` says when.
"""

REJECTED_BY = {"test_sync_cleanup_order_does_not_rely_on_reference_counting": "wrong_answer"}


def remind_first_overdue(
    db: Database, today: date, notify: Callable[[Invoice], None]
) -> Invoice | None:
    found: Invoice | None = None
    with db.connect() as conn:
        for invoice in iter_invoices(conn):  # closed at `break` only by reference counting
            if invoice.due < today:
                notify(invoice)
                found = invoice
                break
        if found is not None:
            conn.execute(mark_reminded(found))
    return found
