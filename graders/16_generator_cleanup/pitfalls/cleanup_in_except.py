"""Closing the cursor in `except Exception:` and after the loop, instead of in `finally`.

GeneratorExit (from close()/aclose()) and CancelledError are BaseExceptions, not
Exceptions: when the caller stops early or is cancelled, neither branch runs and the
cursor is never closed.
"""

REJECTED_BY = {
    "test_iter_invoices_closes_cursor_on_close": "wrong_answer",
    "test_aiter_invoices_closes_cursor_on_aclose": "wrong_answer",
    "test_async_cleanup_order_under_cancellation": "wrong_answer",
}


def iter_invoices(conn: Connection) -> Generator[Invoice, None, None]:
    cursor = conn.cursor(QUERY)
    try:
        yield from cursor
    except Exception:
        cursor.close()
        raise
    cursor.close()


async def aiter_invoices(conn: AsyncConnection) -> AsyncGenerator[Invoice, None]:
    cursor = conn.cursor(QUERY)
    try:
        async for invoice in cursor:
            yield invoice
    except Exception:
        await cursor.aclose()
        raise
    await cursor.aclose()
