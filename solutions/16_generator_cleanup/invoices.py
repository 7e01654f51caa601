"""Remind the first overdue customer: a generator holds a database cursor across `yield`.

A billing job walks the open invoices through a database cursor, reminds the first
overdue customer, then marks that invoice as reminded, all on one connection. Like many
database drivers (MySQL's unbuffered cursors, for one), the connection cannot run the
UPDATE while a cursor is still open on it, and must not be closed under an open cursor.
So the cleanup order matters: cursor closed, then UPDATE, then connection closed.

1. `iter_invoices`: a generator that opens a cursor, yields its invoices, and closes the
   cursor in a `finally` (run when the generator is used up, closed, or fails).
2. `remind_first_overdue`: stop at the first overdue invoice under `contextlib.closing`,
   so the cursor is closed before the UPDATE and before the connection.
3. `aiter_invoices`: the same generator on an async database.
4. `aremind_first_overdue`: the same job under `contextlib.aclosing`: the same order,
   also when the job is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import date
from types import TracebackType
from typing import Protocol

QUERY = "SELECT id, customer, due FROM invoices WHERE paid = 0 ORDER BY due"


@dataclass(frozen=True)
class Invoice:
    """One unpaid invoice."""

    id: int
    customer: str
    due: date


def mark_reminded(invoice: Invoice) -> str:
    """The UPDATE statement that records a reminder for `invoice`."""
    return f"UPDATE invoices SET reminded = 1 WHERE id = {invoice.id}"


class ConnectionBusy(RuntimeError):
    """The connection was used while one of its cursors was still open."""


# ---- the sync driver ----------------------------------------------------------------


class Cursor(Protocol):
    def __iter__(self) -> Iterator[Invoice]: ...
    def close(self) -> None: ...


class Connection(Protocol):
    def cursor(self, query: str) -> Cursor: ...
    def execute(self, statement: str) -> None: ...


class Database(Protocol):
    def connect(self) -> contextlib.AbstractContextManager[Connection]: ...


class FakeCursor:
    def __init__(self, conn: FakeConnection, rows: list[Invoice]) -> None:
        self.conn = conn
        self.rows = rows

    def __iter__(self) -> Iterator[Invoice]:
        return iter(self.rows)

    def close(self) -> None:
        self.conn.open_cursors.discard(self)


class FakeConnection:
    """Refuses to run a statement, or to close, while a cursor is open on it."""

    def __init__(self, rows: list[Invoice]) -> None:
        self.rows = rows
        self.open_cursors: set[FakeCursor] = set()

    def cursor(self, query: str) -> FakeCursor:
        cursor = FakeCursor(self, self.rows)
        self.open_cursors.add(cursor)
        return cursor

    def execute(self, statement: str) -> None:
        if self.open_cursors:
            raise ConnectionBusy(f"cannot run {statement!r}: a cursor is still open")
        print(f"  ran: {statement}")

    def __enter__(self) -> FakeConnection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.open_cursors:
            raise ConnectionBusy("connection closed while a cursor is still open")


class FakeDatabase:
    def __init__(self, rows: list[Invoice]) -> None:
        self.rows = rows

    def connect(self) -> FakeConnection:
        return FakeConnection(self.rows)


# ---- the async driver ---------------------------------------------------------------


class AsyncCursor(Protocol):
    def __aiter__(self) -> AsyncIterator[Invoice]: ...
    async def aclose(self) -> None: ...


class AsyncConnection(Protocol):
    def cursor(self, query: str) -> AsyncCursor: ...
    async def execute(self, statement: str) -> None: ...


class AsyncDatabase(Protocol):
    def connect(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]: ...


class FakeAsyncCursor:
    def __init__(self, conn: FakeAsyncConnection, rows: list[Invoice]) -> None:
        self.conn = conn
        self.rows = list(rows)

    def __aiter__(self) -> FakeAsyncCursor:
        return self

    async def __anext__(self) -> Invoice:
        await asyncio.sleep(0.01)  # the next row arrives from the server
        if not self.rows:
            raise StopAsyncIteration
        return self.rows.pop(0)

    async def aclose(self) -> None:
        await asyncio.sleep(0)
        self.conn.open_cursors.discard(self)


class FakeAsyncConnection:
    """Refuses to run a statement, or to close, while a cursor is open on it."""

    def __init__(self, rows: list[Invoice]) -> None:
        self.rows = rows
        self.open_cursors: set[FakeAsyncCursor] = set()

    def cursor(self, query: str) -> FakeAsyncCursor:
        cursor = FakeAsyncCursor(self, self.rows)
        self.open_cursors.add(cursor)
        return cursor

    async def execute(self, statement: str) -> None:
        if self.open_cursors:
            raise ConnectionBusy(f"cannot run {statement!r}: a cursor is still open")
        await asyncio.sleep(0.01)
        print(f"  ran: {statement}")

    async def __aenter__(self) -> FakeAsyncConnection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.open_cursors:
            raise ConnectionBusy("connection closed while a cursor is still open")


class FakeAsyncDatabase:
    def __init__(self, rows: list[Invoice]) -> None:
        self.rows = rows

    def connect(self) -> FakeAsyncConnection:
        return FakeAsyncConnection(self.rows)


# ---- your code ----------------------------------------------------------------------


def iter_invoices(conn: Connection) -> Generator[Invoice, None, None]:
    """Yield the unpaid invoices from a cursor, closing the cursor whatever happens.

    Args:
        conn: an open connection.

    Yields:
        The invoices of `QUERY`, oldest due date first.

    Example:
        >>> rows = [Invoice(1, "ACME", date(2026, 1, 5))]
        >>> with FakeDatabase(rows).connect() as conn:
        ...     [invoice.id for invoice in iter_invoices(conn)]
        [1]
    """
    cursor = conn.cursor(QUERY)
    # `finally`, not `except Exception`: when the caller stops early, close() raises
    # GeneratorExit at the `yield`, and that is a BaseException, not an Exception.
    try:
        yield from cursor
    finally:
        cursor.close()


def remind_first_overdue(
    db: Database, today: date, notify: Callable[[Invoice], None]
) -> Invoice | None:
    """Notify the first overdue invoice's customer and mark the invoice as reminded.

    Args:
        db: the database to connect to.
        today: invoices due strictly before this date are overdue.
        notify: sends the reminder for one invoice.

    Returns:
        The reminded invoice, or None if none is overdue. The cursor is closed before the
        UPDATE runs and before the connection is closed.

    Example:
        >>> rows = [Invoice(1, "ACME", date(2026, 1, 5))]
        >>> remind_first_overdue(FakeDatabase(rows), date(2026, 2, 1), print)
        Invoice(id=1, customer='ACME', due=datetime.date(2026, 1, 5))
          ran: UPDATE invoices SET reminded = 1 WHERE id = 1
        Invoice(id=1, customer='ACME', due=datetime.date(2026, 1, 5))
    """
    found: Invoice | None = None
    with db.connect() as conn:
        # In CPython a sync generator dropped by `for` is closed at once by reference
        # counting, but only if nothing else refers to it (a variable, a traceback), and
        # other Pythons (PyPy) collect it whenever they like. closing() says when: at the
        # end of this block, before the UPDATE and before the connection closes.
        with contextlib.closing(iter_invoices(conn)) as invoices:
            for invoice in invoices:
                if invoice.due < today:
                    notify(invoice)
                    found = invoice
                    break
        if found is not None:
            conn.execute(mark_reminded(found))
    return found


async def aiter_invoices(conn: AsyncConnection) -> AsyncGenerator[Invoice, None]:
    """Yield the unpaid invoices from an async cursor, closing it whatever happens.

    Args:
        conn: an open async connection.

    Yields:
        The invoices of `QUERY`, oldest due date first.

    Example:
        >>> rows = [Invoice(1, "ACME", date(2026, 1, 5))]
        >>> async def ids() -> list[int]:
        ...     async with FakeAsyncDatabase(rows).connect() as conn:
        ...         return [invoice.id async for invoice in aiter_invoices(conn)]
        >>> asyncio.run(ids())
        [1]
    """
    cursor = conn.cursor(QUERY)
    # The same `finally`: it also runs on aclose() (GeneratorExit at the yield) and when
    # the task is cancelled while we wait for a row (CancelledError, a BaseException).
    # Never catch those around the `yield` and yield again: that is a RuntimeError.
    try:
        async for invoice in cursor:
            yield invoice
    finally:
        await cursor.aclose()


async def aremind_first_overdue(
    db: AsyncDatabase, today: date, notify: Callable[[Invoice], Awaitable[None]]
) -> Invoice | None:
    """The async `remind_first_overdue`: same result, same order of cleanup.

    Args:
        db: the async database to connect to.
        today: invoices due strictly before this date are overdue.
        notify: sends the reminder for one invoice (a coroutine function).

    Returns:
        The reminded invoice, or None. The cursor is closed before the UPDATE and before
        the connection, also when this task is cancelled (then nothing is updated).

    Example:
        >>> rows = [Invoice(1, "ACME", date(2026, 1, 5))]
        >>> async def notify(invoice: Invoice) -> None: print("reminding", invoice.customer)
        >>> asyncio.run(aremind_first_overdue(FakeAsyncDatabase(rows), date(2026, 2, 1), notify))
        reminding ACME
          ran: UPDATE invoices SET reminded = 1 WHERE id = 1
        Invoice(id=1, customer='ACME', due=datetime.date(2026, 1, 5))
    """
    found: Invoice | None = None
    async with db.connect() as conn:
        # An async generator abandoned by `break` (or by a CancelledError flying out of
        # the loop) cannot be closed on the spot: closing it means awaiting its `finally`.
        # asyncio schedules that aclose() on the loop for later, after the UPDATE and
        # after the connection has closed. aclosing() awaits it at the end of this block.
        async with contextlib.aclosing(aiter_invoices(conn)) as invoices:
            async for invoice in invoices:
                if invoice.due < today:
                    await notify(invoice)
                    found = invoice
                    break
        if found is not None:
            await conn.execute(mark_reminded(found))
    return found


def demo_rows() -> list[Invoice]:
    return [
        Invoice(7, "Globex", date(2026, 1, 10)),
        Invoice(3, "Initech", date(2026, 2, 1)),
        Invoice(9, "Umbrella", date(2026, 4, 30)),
    ]


async def main() -> None:
    today = date(2026, 3, 1)

    def notify(invoice: Invoice) -> None:
        print(f"  reminding {invoice.customer} about invoice {invoice.id}")

    async def anotify(invoice: Invoice) -> None:
        notify(invoice)

    print("sync:")
    remind_first_overdue(FakeDatabase(demo_rows()), today, notify)
    print("async:")
    await aremind_first_overdue(FakeAsyncDatabase(demo_rows()), today, anotify)


if __name__ == "__main__":
    asyncio.run(main())
