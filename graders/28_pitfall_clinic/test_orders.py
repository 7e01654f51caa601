"""Grades exercises/28_pitfall_clinic/orders.py: each of the six pitfalls is gone, and each
method still does its job.

Most pitfalls are proven gone by the engine's own checks, which run around every test:
the never-awaited coroutine, the blocked loop and the dropped task are reported by the
leak checks (so these tests step aside and let them speak), the swallowed cancellation by
`within()`, and the sequential and unbounded calls by `InFlight` peak counters.

Requirements:
- 1: the audit coroutine is awaited and the entry written before the receipt -> test_audit_entry_is_awaited
- 1: the check kept: a total of 0 or less is refused, nothing written -> test_accept_still_refuses_an_empty_order
- 2: render_pdf on a worker thread, its bytes unchanged -> test_invoice_does_not_block_the_loop
- 3: the three lookups together: peak 3, 1 s -> test_order_page_looks_up_concurrently
- 3: what a failed lookup does to the others -> not graded: gather (the usual fix) and a TaskGroup differ only
  there, and the README asks only for concurrency
- 4: confirm() returns at once, the task kept (a done callback forgets it) and awaited by
  aclose() -> test_confirmation_task_is_kept_and_awaited
- 5: the deadline's cancellation is not retried -> test_cancellation_is_not_retried
- 5: a ConnectionError is retried after its pause -> test_dropped_connection_is_retried
- 5: the last ConnectionError, the very object of the last attempt, is raised after
  SEND_ATTEMPTS tries -> test_last_failure_is_raised
- 5: any other error is not retried -> test_other_errors_are_not_retried
- 5: ... not even another OSError (ConnectionError's parent): a PermissionError
  -> test_other_os_errors_are_not_retried
- 6: everyone gets the digest, exactly MAX_PARALLEL_SENDS at once -> test_digest_keeps_four_sends_in_flight
"""

from __future__ import annotations

import asyncio
import inspect
import time
import weakref
from collections.abc import Coroutine, Sequence
from typing import Any

import pytest

from katagrader import InFlight, learner_module, outcome, within

orders = learner_module("orders")

ORDER_ID = "B-42"


def make_order() -> Any:
    return orders.Order(ORDER_ID, "c-9", ("kettle", "mug"), 3150)


class ProbedAudit:
    """An audit log that also remembers the coroutines it handed out, to tell "never
    awaited" (the engine reports it) apart from "never called" (this test reports it)."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []
        self.created = 0
        self.ran = 0
        self._handed_out: list[weakref.ref[Coroutine[Any, Any, None]]] = []

    def write(self, order_id: str, event: str) -> Coroutine[Any, Any, None]:
        self.created += 1
        coroutine = self._write(order_id, event)
        coroutine.__qualname__ = "audit.write"  # type: ignore[attr-defined]  # as reports name it
        self._handed_out.append(weakref.ref(coroutine))
        return coroutine

    async def _write(self, order_id: str, event: str) -> None:
        self.ran += 1
        await asyncio.sleep(0.01)
        self.entries.append((order_id, event))

    def unawaited(self) -> int:
        """Coroutines handed out whose body never started (collected ones included)."""
        alive = [ref() for ref in self._handed_out]
        pending = sum(
            1
            for c in alive
            if c is not None and inspect.getcoroutinestate(c) == inspect.CORO_CREATED
        )
        return max(self.created - self.ran, pending)


class BlockingRenderer:
    """A synchronous PDF library that holds its thread for 0.5 s per invoice."""

    def __init__(self, seconds: float = 0.5) -> None:
        self.seconds = seconds
        self.calls = 0

    def render_pdf(self, order: Any) -> bytes:
        self.calls += 1
        time.sleep(self.seconds)
        return f"%PDF probe {order.id}".encode()


class ProbedDirectory:
    """The order page's backends: each call takes 1 virtual second and is counted."""

    def __init__(self) -> None:
        self.in_flight = InFlight()

    async def customer(self, customer_id: str) -> dict[str, str]:
        async with self.in_flight:
            await asyncio.sleep(1)
        return {"id": customer_id, "name": "probe"}

    async def stock(self, items: Sequence[str]) -> dict[str, int]:
        async with self.in_flight:
            await asyncio.sleep(1)
        return dict.fromkeys(items, 7)

    async def shipping_quote(self, order: Any) -> int:
        async with self.in_flight:
            await asyncio.sleep(1)
        return 650


class ProbedMailer:
    """A mail provider: `latency` virtual seconds per email, counted while in flight.

    `hang=True` makes every send wait forever; `drops` is how many of the first sends fail
    with `error` (ConnectionError unless told); `raised` keeps every exception it raised."""

    def __init__(
        self,
        latency: float = 1.0,
        *,
        hang: bool = False,
        drops: int = 0,
        error: type[Exception] = ConnectionError,
    ) -> None:
        self.latency = latency
        self.hang = hang
        self.drops = drops
        self.error = error
        self.in_flight = InFlight()
        self.attempts = 0
        self.sent: list[tuple[str, str]] = []
        self.raised: list[Exception] = []

    async def send(self, to: str, text: str) -> None:
        self.attempts += 1
        async with self.in_flight:
            if self.hang:
                await asyncio.sleep(3600)
            await asyncio.sleep(self.latency)
            if self.attempts <= self.drops:
                error: Exception
                if self.error is ConnectionError:
                    error = ConnectionError(
                        f"connection reset by the mail provider (attempt {self.attempts})"
                    )
                elif issubclass(self.error, OSError):
                    error = self.error("the relay's client certificate is not readable")
                else:
                    error = self.error("the mail provider refused the address")
                self.raised.append(error)
                raise error
        self.sent.append((to, text))


class Unused:
    """A collaborator the test does not expect to be called."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the service used `{name}` of a collaborator this step does not need")


def make_service(**collaborators: Any) -> Any:
    wiring: dict[str, Any] = {
        "audit": Unused(),
        "renderer": Unused(),
        "directory": Unused(),
        "mailer": Unused(),
    }
    wiring.update(collaborators)
    return orders.OrderService(**wiring)


def other_pending_tasks() -> list[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return [t for t in asyncio.all_tasks() if t is not current and not t.done()]


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_audit_entry_is_awaited() -> None:
    """accept() really writes the audit entry: the audit coroutine is awaited, not dropped."""
    audit = ProbedAudit()
    service = make_service(audit=audit)
    receipt = await within(5, service.accept(make_order()), what="service.accept(order)")
    if audit.unawaited():
        # Called but never awaited: the engine's leak check names the line (UNAWAITED
        # COROUTINE) once this test returns.
        return
    assert audit.entries == [(ORDER_ID, "accepted")], (
        f"after service.accept(order) the audit log holds {audit.entries}; expected "
        f"[({ORDER_ID!r}, 'accepted')]. accept() must `await self.audit.write(order.id, "
        "'accepted')` before it answers (pitfall 1: an async call without await never runs)."
    )
    assert receipt == orders.Receipt(ORDER_ID, "accepted"), (
        f"service.accept(order) returned {receipt!r}; expected Receipt({ORDER_ID!r}, 'accepted')."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_accept_still_refuses_an_empty_order() -> None:
    """accept() keeps its check: a total of 0 or less raises ValueError and writes nothing; 1 cent is fine."""
    for total, refused in [(0, True), (-5, True), (1, False)]:
        audit = ProbedAudit()
        service = make_service(audit=audit)
        order = orders.Order(ORDER_ID, "c-9", ("kettle",), total)
        _, error = await outcome(5, service.accept(order), what=f"accept(order of {total} cents)")
        if audit.unawaited():
            return  # the engine names the never-awaited coroutine (test_audit_entry_is_awaited)
        if refused:
            assert isinstance(error, ValueError) and audit.entries == [], (
                f"accept(order of {total} cents) "
                + (f"raised {error!r}" if error is not None else "returned")
                + f" and wrote {audit.entries}; expected ValueError and nothing written "
                "(keep the check that was there)."
            )
        else:
            assert error is None and audit.entries == [(ORDER_ID, "accepted")], (
                f"accept(order of 1 cent) raised {error!r} and wrote {audit.entries}; "
                "expected it accepted: only a total of 0 or less is refused."
            )


@pytest.mark.task(2)
async def test_invoice_does_not_block_the_loop() -> None:
    """invoice() runs the blocking PDF library on a worker thread, not on the event loop."""
    renderer = BlockingRenderer(seconds=0.5)
    service = make_service(renderer=renderer)
    pdf = await within(10, service.invoice(make_order()), what="service.invoice(order)")
    assert pdf == f"%PDF probe {ORDER_ID}".encode(), (
        f"service.invoice(order) returned {pdf!r}; expected the bytes of "
        "renderer.render_pdf(order), unchanged."
    )
    assert renderer.calls == 1, (
        f"render_pdf was called {renderer.calls} times for one invoice; expected once."
    )
    # A direct call blocks the loop for 0.5 s: the engine's blocking check reports it
    # (BLOCKED EVENT LOOP) with the line. The fix is `await asyncio.to_thread(...)`.


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_order_page_looks_up_concurrently() -> None:
    """order_page() runs its three lookups at the same time: 1 s in all, not 3 s."""
    directory = ProbedDirectory()
    service = make_service(directory=directory)
    loop = asyncio.get_running_loop()
    started = loop.time()
    page = await within(10, service.order_page(make_order()), what="service.order_page(order)")
    elapsed = loop.time() - started
    expected = orders.OrderPage(
        make_order(), {"id": "c-9", "name": "probe"}, {"kettle": 7, "mug": 7}, 650
    )
    assert page == expected, f"service.order_page(order) returned {page!r}; expected {expected!r}."
    peak = directory.in_flight.peak
    assert peak == 3, (
        f"order_page had at most {peak} lookup(s) in flight at once; expected all 3 together "
        "(pitfall 3). "
        + (
            "They ran one after another, as three `await`s in a row do: "
            if peak == 1
            else "Some of them still waited for another: "
        )
        + "start all three before awaiting any (asyncio.gather, or a TaskGroup)."
    )
    assert elapsed == pytest.approx(1.0), (
        f"order_page took {elapsed:g} s of loop time with three 1 s lookups; expected 1 s."
    )


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_confirmation_task_is_kept_and_awaited() -> None:
    """confirm() returns at once, keeps its email task, and aclose() waits for it."""
    mailer = ProbedMailer(latency=1.0)
    service = make_service(mailer=mailer)
    loop = asyncio.get_running_loop()
    started = loop.time()
    # The email task is meant to outlive confirm(): aclose() awaits it.
    await within(
        5, service.confirm(make_order()), what="service.confirm(order)", tasks_may_outlive=True
    )
    elapsed = loop.time() - started
    assert elapsed == 0, (
        f"service.confirm(order) took {elapsed:g} s with a 1 s mailer; expected it to return "
        "at once and leave the email to a background task."
    )
    await within(5, service.aclose(), what="service.aclose()")
    if other_pending_tasks():
        # aclose() did not wait for it: the engine's leak check names the line that created
        # the task (LEAKED TASK) once this test returns.
        return
    assert mailer.sent == [("c-9", f"Thank you for order {ORDER_ID}!")], (
        f"after confirm() and aclose() the mailer sent {mailer.sent}; expected the "
        "confirmation email. Create the task, add it to self._background and register "
        "`task.add_done_callback(self._background.discard)` (pitfall 4)."
    )


@pytest.mark.task(5)
@pytest.mark.looptime
async def test_cancellation_is_not_retried() -> None:
    """When notify_shipped's deadline cancels a hanging send, the retry loop stops at once."""
    mailer = ProbedMailer(hang=True)
    service = make_service(mailer=mailer)
    loop = asyncio.get_running_loop()
    started = loop.time()
    sent = await within(
        20, service.notify_shipped(make_order()), what="service.notify_shipped(order)"
    )
    elapsed = loop.time() - started
    assert sent is False, (
        f"notify_shipped(order) returned {sent!r} although the mailer never answered; expected "
        f"False once its {orders.NOTIFY_DEADLINE:g} s deadline passed. If the retry loop catches "
        "the deadline's CancelledError, asyncio.timeout never sees it come back (pitfall 5)."
    )
    assert mailer.attempts == 1, (
        f"the mailer was called {mailer.attempts} times; expected 1. The deadline cancelled the "
        "first send, and a cancellation must not be retried: catch ConnectionError only."
    )
    assert elapsed == pytest.approx(orders.NOTIFY_DEADLINE), (
        f"notify_shipped gave up after {elapsed:g} s; expected {orders.NOTIFY_DEADLINE:g} s."
    )


@pytest.mark.task(5)
@pytest.mark.looptime
async def test_dropped_connection_is_retried() -> None:
    """A ConnectionError is still retried after a 0.1 s pause, and the email goes out."""
    mailer = ProbedMailer(latency=1.0, drops=1)
    service = make_service(mailer=mailer)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await within(
        20, service.send_with_retries("c-9", "hello"), what="service.send_with_retries(...)"
    )
    elapsed = loop.time() - started
    assert mailer.attempts == 2 and mailer.sent == [("c-9", "hello")], (
        f"with one dropped connection the mailer saw {mailer.attempts} attempt(s) and sent "
        f"{mailer.sent}; expected 2 attempts and the email sent. Keep retrying ConnectionError: "
        "only the cancellation must not be retried."
    )
    assert elapsed == pytest.approx(2.1), (
        f"two 1 s attempts took {elapsed:g} s of loop time; expected 2.1 s: the 0.1 s pause "
        "after the first failure (`await asyncio.sleep(0.1 * 2**attempt)`) is part of the "
        "behaviour to keep."
    )


@pytest.mark.task(5)
@pytest.mark.looptime
async def test_last_failure_is_raised() -> None:
    """After SEND_ATTEMPTS dropped connections the ConnectionError is raised, not swallowed."""
    attempts = orders.SEND_ATTEMPTS
    mailer = ProbedMailer(latency=1.0, drops=attempts + 5)
    service = make_service(mailer=mailer)
    loop = asyncio.get_running_loop()
    started = loop.time()
    _, error = await outcome(
        60, service.send_with_retries("c-9", "hello"), what="service.send_with_retries(...)"
    )
    elapsed = loop.time() - started
    expected_time = attempts * 1.0 + sum(0.1 * 2**n for n in range(attempts - 1))
    assert isinstance(error, ConnectionError), (
        "with a mailer that always drops the connection, send_with_retries "
        + (f"raised {error!r}" if error is not None else "returned normally")
        + f" after {mailer.attempts} attempt(s); expected ConnectionError after "
        f"{attempts}: a caller must learn that the email was not sent."
    )
    assert mailer.attempts == attempts and elapsed == pytest.approx(expected_time), (
        f"with a mailer that always drops the connection, send_with_retries made "
        f"{mailer.attempts} attempt(s) in {elapsed:g} s; expected {attempts} in "
        f"{expected_time:g} s (1 s each, with pauses of 0.1 s, 0.2 s... between them)."
    )
    last = mailer.raised[-1]
    assert error is last, (
        f"after {attempts} dropped connections send_with_retries raised {error!r}; expected "
        f"the last attempt's own exception, {last!r}, the very object (its message and its "
        "traceback say what really failed). Re-raise it (`raise` in the except block, or keep "
        "it and `raise last`), not a new ConnectionError of your own."
    )


@pytest.mark.task(5)
@pytest.mark.looptime
async def test_other_errors_are_not_retried() -> None:
    """An error that is not a dropped connection (a refused address) is raised at once."""
    mailer = ProbedMailer(latency=1.0, drops=10, error=ValueError)
    service = make_service(mailer=mailer)
    _, error = await outcome(
        60, service.send_with_retries("c-9", "hello"), what="service.send_with_retries(...)"
    )
    assert isinstance(error, ValueError) and mailer.attempts == 1, (
        f"with a mailer raising ValueError('the mail provider refused the address'), "
        f"send_with_retries made {mailer.attempts} attempt(s) and "
        + (f"raised {error!r}" if error is not None else "returned normally")
        + "; expected one attempt and that ValueError: retry ConnectionError only (pitfall 5 "
        "is catching too much, `except Exception` as well as `except BaseException`)."
    )


@pytest.mark.task(5)
@pytest.mark.looptime
async def test_other_os_errors_are_not_retried() -> None:
    """An OSError that is not a ConnectionError (a PermissionError) is raised at once."""
    mailer = ProbedMailer(latency=1.0, drops=10, error=PermissionError)
    service = make_service(mailer=mailer)
    _, error = await outcome(
        60, service.send_with_retries("c-9", "hello"), what="service.send_with_retries(...)"
    )
    assert isinstance(error, PermissionError) and mailer.attempts == 1, (
        f"with a mailer raising PermissionError(\"the relay's client certificate is not "
        f'readable"), send_with_retries made {mailer.attempts} attempt(s) and '
        + (f"raised {error!r}" if error is not None else "returned normally")
        + "; expected one attempt and that PermissionError. ConnectionError is one kind of "
        "OSError: `except OSError` also retries a missing file, a refused permission or a "
        "TimeoutError, which no retry will fix. Catch ConnectionError only."
    )


@pytest.mark.task(6)
@pytest.mark.looptime
async def test_digest_keeps_four_sends_in_flight() -> None:
    """send_digest() sends to everyone with exactly MAX_PARALLEL_SENDS emails in flight."""
    mailer = ProbedMailer(latency=1.0)
    service = make_service(mailer=mailer)
    customers = [f"c-{n}" for n in range(10)]
    count = await within(
        60, service.send_digest(customers, "digest"), what="service.send_digest(10 customers)"
    )
    limit = orders.MAX_PARALLEL_SENDS
    assert sorted(to for to, _ in mailer.sent) == sorted(customers) and count == len(customers), (
        f"send_digest sent to {[to for to, _ in mailer.sent]} and returned {count!r}; expected "
        f"each of the {len(customers)} customers once, and {len(customers)}."
    )
    peak = mailer.in_flight.peak
    assert peak <= limit, (
        f"send_digest had {peak} sends in flight at once"
        + (f" (all {len(customers)} of them)" if peak == len(customers) else "")
        + f"; the provider allows {limit} (pitfall 6). Whatever limits the sends must be "
        f"shared by all of them: one asyncio.Semaphore({limit}) made once per digest and "
        "acquired around each send (a semaphore made inside each send limits nothing)."
    )
    assert mailer.in_flight.peak == limit, (
        f"send_digest had at most {mailer.in_flight.peak} send(s) in flight; expected {limit} "
        "at once. Limit the sends, but keep them concurrent."
    )
