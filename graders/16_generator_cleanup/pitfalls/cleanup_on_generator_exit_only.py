"""Closing the cursor after the loop and in `except GeneratorExit:`, not in `finally`.

Reading to the end and close()/aclose() both close the cursor, but an error from the
cursor (a lost connection) leaves it open.
"""

REJECTED_BY = {
    "test_iter_invoices_closes_cursor_on_error": "wrong_answer",
    "test_aiter_invoices_closes_cursor_on_error": "wrong_answer",
}


def iter_invoices(conn: Connection) -> Generator[Invoice, None, None]:
    cursor = conn.cursor(QUERY)
    try:
        yield from cursor
    except GeneratorExit:
        cursor.close()
        raise
    cursor.close()


async def aiter_invoices(conn: AsyncConnection) -> AsyncGenerator[Invoice, None]:
    cursor = conn.cursor(QUERY)
    try:
        async for invoice in cursor:
            yield invoice
    except (GeneratorExit, asyncio.CancelledError):
        await cursor.aclose()
        raise
    await cursor.aclose()
