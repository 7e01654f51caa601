"""Grades exercises/16_generator_cleanup/invoices.py: generators that hold a cursor across
`yield` are closed at the right moment. The grader's fake database writes an event log,
and each test asserts the ORDER of the events: the cursor (the inner resource) is closed
before the UPDATE that follows the loop and before the connection (the outer resource).

Requirements:
- 1: yield every invoice, close the cursor at the end of rows -> test_iter_invoices_yields_rows_and_closes_cursor
- 1: close() after one invoice closes the cursor, without RuntimeError -> test_iter_invoices_closes_cursor_on_close
- 1: an error from the cursor reaches the caller and closes it -> test_iter_invoices_closes_cursor_on_error
- 2: cursor closed before the UPDATE and the connection; first overdue notified once
  -> test_sync_cleanup_order
- 2: the same order under contextlib.closing, not by CPython's reference counting: the
  grader keeps its own reference to the generator (iter_invoices wrapped in the learner's
  module), so a bare `for ... break` leaves the cursor open
  -> test_sync_cleanup_order_does_not_rely_on_reference_counting
- 2: nothing overdue: None, no notify, no UPDATE -> test_sync_nothing_overdue
- 2: due today is not overdue -> test_sync_due_today_is_not_overdue
- 3: yield every invoice, close the cursor at the end -> test_aiter_invoices_yields_rows_and_closes_cursor
- 3: aclose() after one invoice closes the cursor, without RuntimeError -> test_aiter_invoices_closes_cursor_on_aclose
- 3: an error from the cursor reaches the caller and closes it -> test_aiter_invoices_closes_cursor_on_error
- 4: the same order on the async driver, under aclosing -> test_async_cleanup_order
- 4: nothing overdue (due today): None, no notify, no UPDATE -> test_async_nothing_overdue
- 4: cancelled while notifying: cursor, then connection; ends cancelled; no UPDATE
  -> test_async_cleanup_order_under_cancellation
"""

from __future__ import annotations

import asyncio
from datetime import date
from types import TracebackType
from typing import Any

import pytest

from katagrader import learner_module, outcome, within

invoices = learner_module("invoices")

TODAY = date(2026, 3, 1)


def rows(*overdue: bool) -> list[Any]:
    """Invoices 1, 2, 3...; those marked True are due before TODAY."""
    return [
        invoices.Invoice(n, f"customer {n}", date(2026, 1, 15) if late else date(2026, 5, 1))
        for n, late in enumerate(overdue, start=1)
    ]


# A row that cannot be fetched: the probed cursors raise ConnectionError in its place.
LOST: Any = object()


# ---- sync probes ----------------------------------------------------------------------


class ProbedCursor:
    def __init__(self, log: list[str], items: list[Any]) -> None:
        self.log = log
        self.items = items
        self.closed = False

    def __iter__(self) -> Any:
        for item in self.items:
            if item is LOST:
                raise ConnectionError("connection lost while fetching rows")
            yield item

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.log.append("close cursor")


class ProbedConnection:
    def __init__(self, log: list[str], items: list[Any]) -> None:
        self.log = log
        self.items = items

    def cursor(self, query: str) -> ProbedCursor:
        self.log.append("open cursor")
        return ProbedCursor(self.log, self.items)

    def execute(self, statement: str) -> None:
        self.log.append(f"UPDATE #{statement.rsplit(' ', 1)[-1]}")

    def __enter__(self) -> ProbedConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.log.append("close connection")


class ProbedDatabase:
    def __init__(self, items: list[Any]) -> None:
        self.log: list[str] = []
        self.items = items

    def connect(self) -> ProbedConnection:
        self.log.append("connect")
        return ProbedConnection(self.log, self.items)


# ---- async probes ---------------------------------------------------------------------


class ProbedAsyncCursor:
    def __init__(self, log: list[str], items: list[Any]) -> None:
        self.log = log
        self.items = list(items)
        self.closed = False

    def __aiter__(self) -> ProbedAsyncCursor:
        return self

    async def __anext__(self) -> Any:
        await asyncio.sleep(0.01)
        if not self.items:
            raise StopAsyncIteration
        item = self.items.pop(0)
        if item is LOST:
            raise ConnectionError("connection lost while fetching rows")
        return item

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            self.log.append("close cursor")
        await asyncio.sleep(0)


class ProbedAsyncConnection:
    def __init__(self, log: list[str], items: list[Any]) -> None:
        self.log = log
        self.items = items

    def cursor(self, query: str) -> ProbedAsyncCursor:
        self.log.append("open cursor")
        return ProbedAsyncCursor(self.log, self.items)

    async def execute(self, statement: str) -> None:
        self.log.append(f"UPDATE #{statement.rsplit(' ', 1)[-1]}")
        await asyncio.sleep(0.01)

    async def __aenter__(self) -> ProbedAsyncConnection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.log.append("close connection")
        await asyncio.sleep(0)


class ProbedAsyncDatabase:
    def __init__(self, items: list[Any]) -> None:
        self.log: list[str] = []
        self.items = items

    def connect(self) -> ProbedAsyncConnection:
        self.log.append("connect")
        return ProbedAsyncConnection(self.log, self.items)


ORDER_HINT = (
    "The cursor is the inner resource: it must be closed before the code after the loop "
    "(the UPDATE) and before the connection, the outer resource."
)


# ---- step 1 ---------------------------------------------------------------------------


@pytest.mark.task(1)
def test_iter_invoices_yields_rows_and_closes_cursor() -> None:
    """Used up, iter_invoices yields every invoice and closes its cursor."""
    items = rows(False, True, False)
    log: list[str] = []
    got = list(invoices.iter_invoices(ProbedConnection(log, items)))
    assert got == items, f"list(iter_invoices(conn)) gave {got}; expected the cursor's {items}."
    assert log == ["open cursor", "close cursor"], (
        f"reading iter_invoices to the end gave the events {log}; expected "
        "['open cursor', 'close cursor']: close the cursor when the generator ends."
    )


@pytest.mark.task(1)
def test_iter_invoices_closes_cursor_on_close() -> None:
    """Closing the generator after one invoice closes the cursor, and close() succeeds."""
    log: list[str] = []
    gen = invoices.iter_invoices(ProbedConnection(log, rows(True, True, True)))
    next(gen)
    try:
        gen.close()
    except RuntimeError as exc:
        pytest.fail(
            f"iter_invoices(conn).close() after one invoice raised RuntimeError: {exc}. "
            "close() raises GeneratorExit at the `yield`; catching it (a bare `except:` or "
            "`except BaseException:`) and yielding again is forbidden. Let it through."
        )
    assert log == ["open cursor", "close cursor"], (
        f"closing iter_invoices after one invoice gave the events {log}; expected "
        "['open cursor', 'close cursor']. close() raises GeneratorExit at the `yield`, a "
        "BaseException that `except Exception:` does not catch: close the cursor in `finally`."
    )


@pytest.mark.task(1)
def test_iter_invoices_closes_cursor_on_error() -> None:
    """When the cursor fails mid-way, the error reaches the caller and the cursor is closed."""
    log: list[str] = []
    got: list[Any] = []
    items = [*rows(False), LOST, *rows(False)]
    try:
        for invoice in invoices.iter_invoices(ProbedConnection(log, items)):
            got.append(invoice)
    except ConnectionError:
        pass
    else:
        pytest.fail(
            "the cursor raised ConnectionError after one invoice, but iterating "
            f"iter_invoices ended normally with {got}; expected the error to reach the caller."
        )
    assert log == ["open cursor", "close cursor"], (
        f"the cursor raised ConnectionError after one invoice, and the events were {log}; "
        "expected ['open cursor', 'close cursor']: an error must close the cursor too. Only "
        "a `finally` runs on every way out (end of rows, close(), an error)."
    )


# ---- step 2 ---------------------------------------------------------------------------


@pytest.mark.task(2)
def test_sync_cleanup_order() -> None:
    """remind_first_overdue closes the cursor before the UPDATE and before the connection."""
    db = ProbedDatabase(rows(False, True, True, False))

    def notify(invoice: Any) -> None:
        db.log.append(f"notify #{invoice.id}")

    found = invoices.remind_first_overdue(db, TODAY, notify)
    assert getattr(found, "id", None) == 2, (
        f"remind_first_overdue returned {found!r}; expected invoice 2, the first overdue one."
    )
    expected = ["connect", "open cursor", "notify #2", "close cursor", "UPDATE #2"]
    expected += ["close connection"]
    assert db.log == expected, (
        f"remind_first_overdue gave the events {db.log}; expected {expected}. {ORDER_HINT} A "
        "generator kept in a variable stays open until that variable goes away; "
        "`with contextlib.closing(iter_invoices(conn)) as invoices:` closes it at the end of "
        "the block."
    )


@pytest.mark.task(2)
def test_sync_cleanup_order_does_not_rely_on_reference_counting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With another reference to the generator alive, remind_first_overdue still closes the
    cursor before the UPDATE: `closing()`, not CPython's reference counting, decides when."""
    module = invoices.load()
    original = module.iter_invoices
    held: list[Any] = []  # the grader's own references, as a traceback or PyPy's GC keeps one

    def iter_invoices_kept(conn: Any) -> Any:
        generator = original(conn)
        held.append(generator)
        return generator  # the very generator, not a wrapper: closing it closes the cursor

    monkeypatch.setattr(module, "iter_invoices", iter_invoices_kept)
    db = ProbedDatabase(rows(False, True, True, False))

    def notify(invoice: Any) -> None:
        db.log.append(f"notify #{invoice.id}")

    try:
        invoices.remind_first_overdue(db, TODAY, notify)
        log = list(db.log)
    finally:
        for generator in held:
            generator.close()
    expected = ["connect", "open cursor", "notify #2", "close cursor", "UPDATE #2"]
    expected += ["close connection"]
    assert log == expected, (
        f"with the grader holding a second reference to the generator iter_invoices(conn) "
        f"returned (as a traceback, a debugger or PyPy's garbage collector may), "
        f"remind_first_overdue gave the events {log}; expected {expected}. {ORDER_HINT} "
        "Breaking out of `for invoice in iter_invoices(conn):` leaves the generator open; "
        "CPython closes it at once only if nothing else refers to it. `with "
        "contextlib.closing(iter_invoices(conn)) as invoices:` closes it at the end of the "
        "block, whoever else holds it."
    )


@pytest.mark.task(2)
def test_sync_nothing_overdue() -> None:
    """With nothing overdue, nobody is notified, nothing is updated, and the cursor is
    closed before the connection."""
    db = ProbedDatabase(rows(False, False))
    found = invoices.remind_first_overdue(db, TODAY, lambda invoice: db.log.append("notify"))
    assert found is None, (
        f"remind_first_overdue returned {found!r} with nothing overdue; expected None."
    )
    expected = ["connect", "open cursor", "close cursor", "close connection"]
    assert db.log == expected, (
        f"with nothing overdue the events were {db.log}; expected {expected}."
    )


@pytest.mark.task(2)
def test_sync_due_today_is_not_overdue() -> None:
    """An invoice due today is not overdue (due *before* today is)."""
    db = ProbedDatabase([invoices.Invoice(1, "customer 1", TODAY)])
    found = invoices.remind_first_overdue(db, TODAY, lambda invoice: db.log.append("notify"))
    assert found is None and "notify" not in db.log, (
        f"remind_first_overdue with one invoice due today returned {found!r} and logged "
        f"{db.log}; expected None and no notify: overdue means due before today (`<`)."
    )


# ---- step 3 ---------------------------------------------------------------------------


async def collect(conn: ProbedAsyncConnection) -> list[Any]:
    return [invoice async for invoice in invoices.aiter_invoices(conn)]


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_aiter_invoices_yields_rows_and_closes_cursor() -> None:
    """Used up, aiter_invoices yields every invoice and closes its cursor."""
    items = rows(False, True, False)
    log: list[str] = []
    got = await within(10, collect(ProbedAsyncConnection(log, items)), what="aiter_invoices(conn)")
    assert got == items, f"aiter_invoices(conn) gave {got}; expected the cursor's {items}."
    assert log == ["open cursor", "close cursor"], (
        f"reading aiter_invoices to the end gave the events {log}; expected "
        "['open cursor', 'close cursor']."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_aiter_invoices_closes_cursor_on_aclose() -> None:
    """aclose() after one invoice closes the cursor, and succeeds."""
    log: list[str] = []
    gen = invoices.aiter_invoices(ProbedAsyncConnection(log, rows(True, True, True)))
    await within(10, anext(gen), what="anext(aiter_invoices(conn))")
    try:
        await within(10, gen.aclose(), what="aiter_invoices(conn).aclose()")
    except RuntimeError as exc:
        pytest.fail(
            f"aiter_invoices(conn).aclose() after one invoice raised RuntimeError: {exc}. "
            "aclose() raises GeneratorExit at the `yield`; catching it (a bare `except:` or "
            "`except BaseException:`) and yielding again is forbidden. Let it through."
        )
    assert log == ["open cursor", "close cursor"], (
        f"aclose() on aiter_invoices after one invoice gave the events {log}; expected "
        "['open cursor', 'close cursor']: close the cursor in `finally`, which also runs "
        "on GeneratorExit and CancelledError (neither is an Exception)."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_aiter_invoices_closes_cursor_on_error() -> None:
    """When the async cursor fails mid-way, the error reaches the caller and the cursor is
    closed."""
    log: list[str] = []
    items = [*rows(False), LOST, *rows(False)]
    _, error = await outcome(
        10, collect(ProbedAsyncConnection(log, items)), "aiter_invoices(conn) with a failing cursor"
    )
    assert isinstance(error, ConnectionError), (
        f"the async cursor raised ConnectionError after one invoice, but reading "
        f"aiter_invoices gave {error!r}; expected the ConnectionError to reach the caller."
    )
    assert log == ["open cursor", "close cursor"], (
        f"the async cursor raised ConnectionError after one invoice, and the events were "
        f"{log}; expected ['open cursor', 'close cursor']: close it in a `finally`."
    )


# ---- step 4 ---------------------------------------------------------------------------


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_async_cleanup_order() -> None:
    """aremind_first_overdue closes the cursor before the UPDATE and before the connection."""
    db = ProbedAsyncDatabase(rows(False, True, True, False))

    async def notify(invoice: Any) -> None:
        db.log.append(f"notify #{invoice.id}")
        await asyncio.sleep(0.01)

    found = await within(
        10, invoices.aremind_first_overdue(db, TODAY, notify), what="aremind_first_overdue(db, ...)"
    )
    assert getattr(found, "id", None) == 2, (
        f"aremind_first_overdue returned {found!r}; expected invoice 2, the first overdue one."
    )
    expected = ["connect", "open cursor", "notify #2", "close cursor", "UPDATE #2"]
    expected += ["close connection"]
    assert db.log[: len(expected)] == expected, (
        f"aremind_first_overdue gave the events {db.log}; expected {expected}. {ORDER_HINT} "
        "An async generator left by `break` cannot be closed on the spot: asyncio schedules "
        "its aclose() on the loop for later. Loop under `async with "
        "contextlib.aclosing(aiter_invoices(conn)) as invoices:`."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_async_cleanup_order_under_cancellation() -> None:
    """Cancelled while notifying, aremind_first_overdue closes the cursor, then the
    connection, and updates nothing."""
    db = ProbedAsyncDatabase(rows(True, True))
    notifying = asyncio.Event()

    async def stuck_notify(invoice: Any) -> None:
        db.log.append(f"notify #{invoice.id}")
        notifying.set()
        await asyncio.sleep(3600)  # the mail server hangs; the job is cancelled

    task = asyncio.create_task(invoices.aremind_first_overdue(db, TODAY, stuck_notify))
    reached = asyncio.create_task(notifying.wait())
    try:
        await within(
            10,
            asyncio.wait({task, reached}, return_when=asyncio.FIRST_COMPLETED),
            what="aremind_first_overdue(db, ...) reaching notify",
        )
        if task.done():
            task.result()  # it ended before notifying: show its error, if any
            pytest.fail(f"aremind_first_overdue returned before notifying; events: {db.log}.")
    finally:
        reached.cancel()
        task.cancel()
        await asyncio.wait({task, reached}, timeout=10)
    await asyncio.sleep(0.1)  # let a late, scheduled aclose() show up in the log
    assert task.cancelled(), (
        "aremind_first_overdue was cancelled while notifying, but did not end with "
        "CancelledError; let cancellation through."
    )
    expected = ["connect", "open cursor", "notify #1", "close cursor", "close connection"]
    assert db.log == expected, (
        f"aremind_first_overdue was cancelled while notifying invoice 1; the events were "
        f"{db.log}, expected {expected}. {ORDER_HINT} The CancelledError flies out of the "
        "`async for` and leaves the generator suspended; aclosing() awaits its aclose() "
        "on the way out, so its `finally` runs before the connection's exit."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_async_nothing_overdue() -> None:
    """With nothing overdue (one invoice due today), aremind_first_overdue notifies nobody,
    updates nothing, returns None, and closes the cursor before the connection."""
    db = ProbedAsyncDatabase([*rows(False), invoices.Invoice(2, "customer 2", TODAY)])

    async def notify(invoice: Any) -> None:
        db.log.append(f"notify #{invoice.id}")

    found = await within(
        10, invoices.aremind_first_overdue(db, TODAY, notify), what="aremind_first_overdue(db, ...)"
    )
    expected = ["connect", "open cursor", "close cursor", "close connection"]
    assert found is None and db.log == expected, (
        f"with nothing overdue (the last invoice due today) aremind_first_overdue returned "
        f"{found!r} and logged {db.log}; expected None and {expected}. Overdue means due "
        "before today (`<`); with none, nothing is updated."
    )
