"""Grades exercises/07_cancellation/payments.py: retries stop at a cancellation, commits do not.

Requirements:
- 1: a success is returned at once, no pause -> test_first_success_is_returned_at_once
- 1: backoff base_delay * 2**(n - 1) after the n-th failure (calls at 0, 0.1, 0.3, 0.7 s) ->
  test_transient_errors_are_retried_with_doubling_backoff
- 1: the defaults: 4 attempts, base_delay 0.1 -> test_the_defaults_are_four_attempts_from_a_tenth_of_a_second
- 1: after `attempts` failures the last error is raised, no pause after it ->
  test_last_error_is_raised_after_all_attempts
- 1: an error outside retry_on is raised at once -> test_permanent_errors_are_not_retried
- 1: the `retry_on` types passed in decide what is retried -> test_only_the_retry_on_errors_are_retried
- 1: a cancellation while the operation runs is never retried -> test_cancellation_is_not_retried
- 1: a cancellation during a pause is never retried -> test_cancellation_during_the_backoff_is_not_retried
- 2: commit_payment returns the gateway's receipt -> test_commit_returns_the_receipt
- 2: a cancelled caller gets CancelledError at once -> test_cancelled_caller_sees_cancelled_error_at_once
- 2: the commit still finishes after the caller is cancelled -> test_commit_completes_after_caller_is_cancelled
- 2: its retries too (the whole retrying commit is shielded) ->
  test_commit_retries_continue_after_caller_is_cancelled
- 2: a commit failing after the caller left is logged -> test_a_commit_failing_after_the_caller_left_is_logged
- 2: keep a reference to the task until it is done -> not graded: the loop's timer keeps a
  waiting commit alive, so a missing reference cannot be observed (the README says so)
- 3: checkout authorizes with retries, then commits (3.1 s) -> test_checkout_authorizes_then_commits
- 3: a timeout around checkout raises TimeoutError, nothing committed -> test_timeout_around_checkout_raises
- 3: a cancelled checkout reports cancelled() at once -> test_cancelled_checkout_reports_cancelled
- 3: checkout commits through commit_payment (shielded) -> test_checkout_cancelled_during_the_commit_still_commits
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

import pytest

from katagrader import learner_module, outcome, within

payments = learner_module("payments")


class FlakyOperation:
    """An operation that fails with the given errors, in order, then returns `result`.

    Each call takes `latency` virtual seconds; `calls` holds the loop time of each call.
    """

    def __init__(self, errors: list[Exception], result: str = "ok", latency: float = 0.0) -> None:
        self.errors = list(errors)
        self.result = result
        self.latency = latency
        self.calls: list[float] = []

    async def __call__(self) -> str:
        self.calls.append(asyncio.get_running_loop().time())
        await asyncio.sleep(self.latency)
        if self.errors:
            raise self.errors.pop(0)
        return self.result


class ScriptedGateway:
    """A payment gateway whose calls take virtual time, fail as scripted, and are recorded."""

    def __init__(
        self,
        *,
        latency: float = 1.0,
        authorize_failures: int = 0,
        commit_failures: int = 0,
    ) -> None:
        self.latency = latency
        self.authorize_failures = authorize_failures
        self.commit_failures = commit_failures
        self.authorize_calls: list[float] = []
        self.commit_calls: list[float] = []
        self.commits_interrupted = 0
        self.committed: list[str] = []

    async def authorize(self, order_id: str, amount_cents: int) -> str:
        self.authorize_calls.append(asyncio.get_running_loop().time())
        await asyncio.sleep(self.latency)
        if self.authorize_failures > 0:
            self.authorize_failures -= 1
            raise payments.TransientError("502 Bad Gateway")
        return f"auth-{order_id}-{amount_cents}"

    async def commit(self, auth_id: str) -> Any:
        self.commit_calls.append(asyncio.get_running_loop().time())
        try:
            await asyncio.sleep(self.latency)
        except asyncio.CancelledError:
            self.commits_interrupted += 1
            raise
        if self.commit_failures > 0:
            self.commit_failures -= 1
            raise payments.TransientError("connection reset")
        self.committed.append(auth_id)
        _, order_id, amount = auth_id.split("-")
        return payments.Receipt(order_id, auth_id, int(amount))


def _outcome(task: asyncio.Future[Any]) -> str:
    """How a finished task ended, in words (and its exception marked as retrieved)."""
    if task.cancelled():
        return "ended with CancelledError"
    exc = task.exception()
    if exc is not None:
        return f"raised {type(exc).__name__}: {exc}"
    return f"returned {task.result()!r}"


async def cancel_midway(
    awaitable: Awaitable[Any], after: float, what: str
) -> tuple[asyncio.Future[Any], float]:
    """Run `awaitable` as a task, cancel it after `after` virtual seconds and wait for it to
    end; returns the task and how many seconds it took to end after the cancel."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(awaitable)
    await asyncio.sleep(after)
    if task.done():
        if not task.cancelled() and task.exception() is not None:
            task.result()  # the learner's own error (NotImplementedError...) is the verdict
        raise AssertionError(
            f"{what} had already finished {after:g} s in ({_outcome(task)}); the grader "
            "meant to cancel it while it was still waiting on the gateway."
        )
    task.cancel()
    cancelled_at = loop.time()
    await asyncio.wait({task}, timeout=5)
    if not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1)
        raise AssertionError(
            f"{what} was cancelled {after:g} s in and was still running 5 s later. A "
            "cancellation must end the work: never catch asyncio.CancelledError (or use a bare "
            "`except:` / `except BaseException:`) without raising it again."
        )
    return task, loop.time() - cancelled_at


# ---- step 1: retry ------------------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_first_success_is_returned_at_once() -> None:
    """An operation that works the first time is called once, with no pause."""
    operation = FlakyOperation([], result="auth-1")
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await within(10, payments.retry(operation), what="retry(operation)")
    elapsed = loop.time() - started
    assert result == "auth-1", f"retry(operation) returned {result!r}; expected 'auth-1'."
    assert len(operation.calls) == 1, (
        f"retry(operation) called the operation {len(operation.calls)} times; it succeeded "
        "the first time, so expected 1 call."
    )
    assert elapsed == pytest.approx(0.0, abs=1e-6), (
        f"retry(operation) took {elapsed:g} s of loop time for an instant success; expected "
        "no pause (back off only after a failure)."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_transient_errors_are_retried_with_doubling_backoff() -> None:
    """Three transient failures are retried after pauses of 0.1, 0.2 and 0.4 s."""
    errors: list[Exception] = [payments.TransientError(f"502 #{n}") for n in range(3)]
    operation = FlakyOperation(errors, result="auth-2")
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await within(
        10,
        payments.retry(operation, attempts=4, base_delay=0.1),
        what="retry(operation, attempts=4, base_delay=0.1)",
    )
    offsets = [round(t - started, 6) for t in operation.calls]
    assert result == "auth-2", (
        f"retry(...) returned {result!r} after three transient failures; expected the fourth "
        "call's result 'auth-2'."
    )
    assert offsets == pytest.approx([0.0, 0.1, 0.3, 0.7]), (
        f"retry(operation, attempts=4, base_delay=0.1) called the operation at {offsets} s; "
        "expected [0, 0.1, 0.3, 0.7]: pauses of 0.1, 0.2, 0.4 s (base_delay doubling after each "
        "failure), with `await asyncio.sleep(...)`."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_last_error_is_raised_after_all_attempts() -> None:
    """When every attempt fails, the last error is raised, with no pause after it."""
    errors: list[Exception] = [payments.TransientError(f"502 #{n}") for n in range(3)]
    last = errors[-1]
    operation = FlakyOperation(errors)
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        result = await within(
            10,
            payments.retry(operation, attempts=3, base_delay=0.1),
            what="retry(operation, attempts=3, base_delay=0.1)",
        )
    except payments.TransientError as exc:
        elapsed = loop.time() - started
        assert exc is last, (
            f"retry(...) raised {exc!r}; expected the last error, {last!r} (re-raise the error "
            "of the final attempt)."
        )
        assert len(operation.calls) == 3, (
            f"retry(..., attempts=3) called the operation {len(operation.calls)} times; expected 3."
        )
        assert elapsed == pytest.approx(0.3), (
            f"retry(..., attempts=3, base_delay=0.1) gave up after {elapsed:g} s; expected 0.3 s "
            "(pauses of 0.1 and 0.2 s, and none after the last failure)."
        )
        return
    raise AssertionError(
        f"retry(operation, attempts=3) returned {result!r} although all 3 attempts failed; "
        "expected it to raise the last TransientError."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_permanent_errors_are_not_retried() -> None:
    """An error outside `retry_on` (a declined card) is raised at once, not retried."""
    declined = payments.CardDeclined("insufficient funds")
    operation = FlakyOperation([declined])
    try:
        result = await within(10, payments.retry(operation), what="retry(operation)")
    except payments.CardDeclined as exc:
        assert exc is declined, f"retry(operation) raised {exc!r}; expected {declined!r}."
        assert len(operation.calls) == 1, (
            f"retry(operation) called the operation {len(operation.calls)} times after a "
            "CardDeclined; expected 1. Retry only the exception types in `retry_on`."
        )
        return
    raise AssertionError(
        f"retry(operation) returned {result!r}; expected the CardDeclined to be raised at once."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_only_the_retry_on_errors_are_retried() -> None:
    """`retry_on` decides what is retried: a ConnectionError is retried when named there,
    and a TransientError is then raised at once, since it is not."""
    operation = FlakyOperation([ConnectionResetError("reset")], result="ok")
    what = "retry(operation, retry_on=(ConnectionError,))"
    result, error = await outcome(
        10, payments.retry(operation, retry_on=(ConnectionError,)), what=what
    )
    ended = f"returned {result!r}" if error is None else f"raised {error!r}"
    assert error is None and result == "ok" and len(operation.calls) == 2, (
        f"{what}, with the operation failing once with ConnectionResetError, {ended} after "
        f"{len(operation.calls)} call(s); expected 'ok' after 2 calls: ConnectionResetError "
        "is one of the `retry_on` types passed in."
    )
    transient = payments.TransientError("502")
    operation = FlakyOperation([transient], result="ok")
    try:
        result = await within(10, payments.retry(operation, retry_on=(ConnectionError,)), what=what)
    except payments.TransientError as exc:
        assert exc is transient and len(operation.calls) == 1, (
            f"{what} raised {exc!r} after {len(operation.calls)} call(s); expected the "
            "TransientError after 1 call: it is not in this `retry_on`."
        )
        return
    raise AssertionError(
        f"{what}, with the operation failing once with TransientError, returned {result!r} "
        f"after {len(operation.calls)} call(s); expected the TransientError raised at once: "
        "it is not in this `retry_on`."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_the_defaults_are_four_attempts_from_a_tenth_of_a_second() -> None:
    """retry(operation) with the defaults makes 4 calls, 0.1, 0.2 and 0.4 s apart."""
    errors: list[Exception] = [payments.TransientError(f"502 #{n}") for n in range(4)]
    operation = FlakyOperation(errors)
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        result = await within(10, payments.retry(operation), what="retry(operation)")
    except payments.TransientError:
        result = "<raised>"
    offsets = [round(t - started, 6) for t in operation.calls]
    assert result == "<raised>" and offsets == pytest.approx([0.0, 0.1, 0.3, 0.7]), (
        f"retry(operation), with the defaults and an operation that always fails, called it "
        f"at {offsets} s and "
        + ("raised" if result == "<raised>" else f"returned {result!r}")
        + "; expected 4 calls at [0, 0.1, 0.3, 0.7] s (attempts=4, base_delay=0.1), then the "
        "last TransientError."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_cancellation_during_the_backoff_is_not_retried() -> None:
    """A retry cancelled during its pause ends at once with CancelledError, and makes no
    further call."""
    operation = FlakyOperation([payments.TransientError("502")], latency=0.0)
    task, took = await cancel_midway(
        payments.retry(operation, attempts=4, base_delay=1.0), after=0.5, what="retry(operation)"
    )
    ended = _outcome(task)
    await asyncio.sleep(5)  # would it call again later?
    assert task.cancelled() and took == pytest.approx(0.0, abs=1e-6), (
        f"retry(operation) was cancelled 0.5 s into its 1 s pause after a failure; it {ended}"
        f" {took:g} s later. Expected CancelledError at once: the pause is an await like any "
        "other, and a cancellation there must end the retries."
    )
    assert len(operation.calls) == 1, (
        f"retry(operation) called the operation {len(operation.calls)} times although it was "
        "cancelled during the pause after the first call; expected 1."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_cancellation_is_not_retried() -> None:
    """A retry cancelled while the operation runs ends at once with CancelledError, no retry."""
    operation = FlakyOperation([], latency=1.0)
    task, took = await cancel_midway(
        payments.retry(operation, attempts=4, base_delay=0.1), after=0.5, what="retry(operation)"
    )
    ended = _outcome(task)
    assert task.cancelled(), (
        f"retry(operation) was cancelled 0.5 s in, while the operation ran; it {ended} "
        f"after calling the operation {len(operation.calls)} time(s). Expected it to end with "
        "CancelledError at once. CancelledError is a BaseException: catch `Exception` (or the "
        "types in retry_on), never everything."
    )
    assert len(operation.calls) == 1, (
        f"retry(operation) called the operation {len(operation.calls)} times after being "
        "cancelled; expected 1: a cancellation is never retried."
    )
    assert took == pytest.approx(0.0, abs=1e-6), (
        f"retry(operation) took {took:g} s to end after being cancelled; expected no delay."
    )


# ---- step 2: commit_payment ---------------------------------------------------------------


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_commit_returns_the_receipt() -> None:
    """An uninterrupted commit returns the gateway's receipt after one call."""
    gateway = ScriptedGateway(latency=1.0)
    receipt = await within(
        10,
        payments.commit_payment(gateway, "auth-o1-500"),
        what="commit_payment(gw, 'auth-o1-500')",
    )
    expected = payments.Receipt("o1", "auth-o1-500", 500)
    assert receipt == expected, (
        f"commit_payment(gw, 'auth-o1-500') returned {receipt!r}; expected {expected!r}, "
        "the receipt from gateway.commit()."
    )
    assert gateway.committed == ["auth-o1-500"], (
        f"the gateway committed {gateway.committed}; expected ['auth-o1-500'] once."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_cancelled_caller_sees_cancelled_error_at_once() -> None:
    """A caller cancelled during the commit ends with CancelledError immediately."""
    gateway = ScriptedGateway(latency=1.0)
    task, took = await cancel_midway(
        payments.commit_payment(gateway, "auth-o2-700"), after=0.4, what="commit_payment(...)"
    )
    ended = _outcome(task)
    await asyncio.sleep(5)  # let a shielded commit finish before the test ends
    assert task.cancelled(), (
        f"commit_payment(...) was cancelled 0.4 s into the commit and {ended}; expected "
        "CancelledError. asyncio.shield() protects the inner work, yet the caller's own await "
        "still raises CancelledError: do not catch it and return a result instead."
    )
    assert took == pytest.approx(0.0, abs=1e-6), (
        f"commit_payment(...) ended {took:g} s after it was cancelled; expected at once. "
        "The caller should not wait for the shielded commit: shield() lets it go on alone."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_commit_completes_after_caller_is_cancelled() -> None:
    """The commit goes on to the end after its caller is cancelled."""
    gateway = ScriptedGateway(latency=1.0)
    task, _ = await cancel_midway(
        payments.commit_payment(gateway, "auth-o3-900"), after=0.4, what="commit_payment(...)"
    )
    _outcome(task)
    await asyncio.sleep(5)  # virtual: plenty for the commit to finish
    assert gateway.commits_interrupted == 0 and gateway.committed == ["auth-o3-900"], (
        f"after commit_payment(...) was cancelled 0.4 s into a 1 s commit, the gateway saw "
        f"{gateway.commits_interrupted} interrupted commit(s) and committed {gateway.committed}. "
        "Expected the commit to finish anyway: await it through `asyncio.shield(...)`, so the "
        "cancellation stops the caller's wait and not the commit."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_commit_retries_continue_after_caller_is_cancelled() -> None:
    """A commit that fails transiently is still retried to the end after the caller left."""
    gateway = ScriptedGateway(latency=1.0, commit_failures=1)
    task, _ = await cancel_midway(
        payments.commit_payment(gateway, "auth-o4-300"), after=0.4, what="commit_payment(...)"
    )
    _outcome(task)
    await asyncio.sleep(5)
    if gateway.commits_interrupted:
        why = (
            f" {gateway.commits_interrupted} commit attempt(s) were interrupted by the "
            "caller's cancellation: the commit was not shielded."
        )
    elif len(gateway.commit_calls) == 1:
        why = (
            " The failed attempt was never retried: the retries stopped with the caller. "
            "Shield the whole retrying commit (one task running retry(...)), not each attempt."
        )
    else:
        why = ""
    assert gateway.committed == ["auth-o4-300"], (
        f"commit_payment(...) was cancelled 0.4 s into a commit whose first attempt fails "
        f"(TransientError at 1 s); the gateway then saw {len(gateway.commit_calls)} commit "
        f"call(s) and committed {gateway.committed}. Expected a retry and the payment "
        f"committed.{why}"
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_a_commit_failing_after_the_caller_left_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A commit that still fails after its caller was cancelled is logged as an error: nobody
    else will ever see it (shield() itself drops it)."""
    caplog.set_level(logging.ERROR)
    gateway = ScriptedGateway(latency=1.0, commit_failures=10)  # every attempt fails
    task, _ = await cancel_midway(
        payments.commit_payment(gateway, "auth-o8-100"), after=0.4, what="commit_payment(...)"
    )
    _outcome(task)
    await asyncio.sleep(10)  # virtual: all 4 attempts and their pauses are over
    logged = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR
        and (
            (r.exc_info is not None and isinstance(r.exc_info[1], payments.TransientError))
            or "connection reset" in r.getMessage()
        )
    ]
    attempts = len(gateway.commit_calls)
    assert attempts == 4, (
        f"commit_payment(...) was cancelled 0.4 s into a commit whose attempts all fail; the "
        f"gateway saw {attempts} commit attempt(s) ({gateway.commits_interrupted} interrupted)"
        "; expected 4: the retrying commit goes on after the caller left."
    )
    assert logged, (
        "commit_payment(...) was cancelled 0.4 s into the commit; the commit then failed 4 "
        "times with TransientError('connection reset') and no error mentioning it was logged. "
        "Expected the final error logged (logging.getLogger(__name__).error(..., "
        "exc_info=error), from a done callback added when the caller is cancelled): the caller "
        "has gone and asyncio.shield() marks the inner task's error as retrieved, so it is lost."
    )


# ---- step 3: checkout ---------------------------------------------------------------------


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_checkout_authorizes_then_commits() -> None:
    """checkout retries a transient authorization failure, then commits and returns the receipt."""
    gateway = ScriptedGateway(latency=1.0, authorize_failures=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    receipt = await within(
        20, payments.checkout(gateway, "o5", 1999), what="checkout(gw, 'o5', 1999)"
    )
    elapsed = loop.time() - started
    expected = payments.Receipt("o5", "auth-o5-1999", 1999)
    assert receipt == expected, (
        f"checkout(gw, 'o5', 1999) returned {receipt!r}; expected {expected!r}."
    )
    assert len(gateway.authorize_calls) == 2 and gateway.committed == ["auth-o5-1999"], (
        f"checkout called authorize {len(gateway.authorize_calls)} time(s) and committed "
        f"{gateway.committed}; expected 2 authorize calls (one transient failure, retried) "
        "and one commit."
    )
    assert elapsed == pytest.approx(3.1), (
        f"checkout took {elapsed:g} s; expected 3.1 s (1 s failed authorize, 0.1 s backoff, "
        "1 s authorize, 1 s commit)."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_timeout_around_checkout_raises() -> None:
    """`asyncio.timeout` around a checkout that is too slow raises TimeoutError, and nothing is committed."""
    gateway = ScriptedGateway(latency=1.0)
    loop = asyncio.get_running_loop()

    async def checkout_with_timeout() -> Any:
        async with asyncio.timeout(0.5):
            return await payments.checkout(gateway, "o6", 100)

    started = loop.time()
    try:
        result = await within(
            10, checkout_with_timeout(), what="checkout(...) under asyncio.timeout(0.5)"
        )
    except TimeoutError:
        elapsed = loop.time() - started
        assert elapsed == pytest.approx(0.5), (
            f"the timeout fired after {elapsed:g} s; expected 0.5 s."
        )
        assert gateway.commit_calls == [], (
            "checkout committed although it timed out during authorization; expected no commit."
        )
        return
    raise AssertionError(
        f"checkout(...) under `async with asyncio.timeout(0.5)` returned {result!r} instead of "
        "raising TimeoutError. The timeout works by cancelling checkout; if checkout catches "
        "asyncio.CancelledError and returns, the timeout cannot tell it expired. Let the "
        "cancellation propagate (or `raise` it again after cleaning up)."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_cancelled_checkout_reports_cancelled() -> None:
    """A checkout task cancelled during authorization reports cancelled() promptly."""
    gateway = ScriptedGateway(latency=1.0)
    task, took = await cancel_midway(
        payments.checkout(gateway, "o7", 100), after=0.5, what="checkout(gw, 'o7', 100)"
    )
    ended = _outcome(task)
    assert task.cancelled(), (
        f"checkout(...) was cancelled during authorization and {ended}; expected the task "
        "to end cancelled (task.cancelled() is True). Whoever cancelled it (a TaskGroup, a "
        "server shutting down) relies on that."
    )
    assert took == pytest.approx(0.0, abs=1e-6), (
        f"checkout(...) ended {took:g} s after it was cancelled; expected at once."
    )
    assert gateway.commit_calls == [], "checkout committed although it was cancelled before."


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_checkout_cancelled_during_the_commit_still_commits() -> None:
    """A checkout cancelled while it commits ends cancelled at once, and the commit (through
    commit_payment's shield) still completes."""
    gateway = ScriptedGateway(latency=1.0)
    task, took = await cancel_midway(
        payments.checkout(gateway, "o9", 250), after=1.5, what="checkout(gw, 'o9', 250)"
    )
    ended = _outcome(task)
    await asyncio.sleep(5)  # virtual: plenty for the commit to finish
    assert task.cancelled() and took == pytest.approx(0.0, abs=1e-6), (
        f"checkout(...) was cancelled 1.5 s in, during the commit, and {ended} {took:g} s "
        "later; expected CancelledError at once."
    )
    assert gateway.commits_interrupted == 0 and gateway.committed == ["auth-o9-250"], (
        f"checkout(...) was cancelled 0.5 s into its 1 s commit; the gateway then saw "
        f"{gateway.commits_interrupted} interrupted commit(s) and committed {gateway.committed}."
        " Expected the commit to finish anyway: checkout commits through commit_payment(), "
        "whose shield protects the commit."
    )
