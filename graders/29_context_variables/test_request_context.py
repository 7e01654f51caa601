"""Grades exercises/29_context_variables/request_context.py: a request ID and a deadline in
context variables, seen by child tasks, to_thread and an executor, and never mixed up.

The grader's backend reads `REQUEST_ID` and `DEADLINE` in every part of the work (two
coroutines in child tasks, `render` on a thread, `audit` on the grader's executor) and logs
through a handler carrying the learner's `RequestIdFilter`, so each part shows which
request it believed it belonged to.

Requirements:
- 1: a record logged in a request carries its ID -> test_filter_stamps_the_current_request_id
- 1: outside a request the ID is "-" and no record is dropped -> test_filter_outside_a_request_stamps_a_dash
- 2: child tasks see the request's ID and deadline -> test_child_tasks_see_the_request
- 2: the to_thread render sees the request's ID and deadline -> test_render_thread_sees_the_request
- 2: the audit runs on audit_pool and sees the request's ID and deadline (context copied)
  -> test_audit_on_the_pool_sees_the_request
- 2: the response holds each part -> test_response_holds_each_part
- 2: user and orders are fetched concurrently, in a TaskGroup -> test_user_and_orders_are_fetched_together
- 2: a failing fetch stops the other one (the TaskGroup) -> test_a_failing_fetch_stops_the_other
- 2: the fetches are bounded by the absolute deadline (timeout_at) -> test_deadline_stops_the_fetches_at_that_time
- 2: the caller's values are back after a return -> test_caller_context_is_restored_after_return
- 2: the caller's values are back after an error -> test_caller_context_is_restored_after_an_error
- 3: requests are handled concurrently -> test_requests_are_handled_concurrently
- 3: concurrent requests never see each other's ID -> test_concurrent_requests_keep_their_own_ids
- 3: responses come in request order -> test_responses_come_in_request_order
- 3: a failing request fails handle_all and leaves no other request running -> test_a_failing_request_stops_the_others
- checks: no task or thread left running, no blocked loop -> test_requests_are_handled_concurrently, test_response_holds_each_part
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest

from katagrader import learner_module, leaves, outcome, within

rc = learner_module("request_context")

AUDIT_THREADS = "grader-audit"


class CountingPool(ThreadPoolExecutor):
    """The grader's audit executor: counts the jobs submitted to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2, thread_name_prefix=AUDIT_THREADS)
        self.submitted = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


class Captured(logging.Handler):
    """Keeps every record that passes the learner's filter."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured_log() -> Iterator[tuple[logging.Logger, Captured]]:
    """A logger of the grader's whose handler carries the learner's RequestIdFilter."""
    logger = logging.getLogger("katagrader.kata29")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    handler = Captured()
    handler.addFilter(rc.RequestIdFilter())
    logger.addHandler(handler)
    try:
        yield logger, handler
    finally:
        logger.removeHandler(handler)


class ProbedBackend:
    """A backend whose every part notes the request ID and deadline it sees, and logs.

    `barrier` makes user() (and orders(), with `both=True`) wait for each other: code that
    runs them one after another never gets past it. `latency` per user name sets how long
    user() takes, so completion order can be made to differ from request order."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        barrier: asyncio.Barrier | None = None,
        both: bool = False,
        latency: dict[str, float] | None = None,
        hang_orders: bool = False,
        fail_user: bool = False,
    ) -> None:
        self.logger = logger
        self.barrier = barrier
        self.both = both
        self.latency = latency or {}
        self.hang_orders = hang_orders
        self.fail_user = fail_user
        self.seen: list[tuple[str, str, str, float | None, str]] = []

    def _note(self, part: str, name: str) -> None:
        request_id, deadline = rc.REQUEST_ID.get(), rc.DEADLINE.get()
        self.seen.append((part, name, request_id, deadline, threading.current_thread().name))
        self.logger.info("%s %s", part, name)

    def parts(self, part: str) -> list[tuple[str, str, float | None, str]]:
        return [
            (name, rid, deadline, thread)
            for p, name, rid, deadline, thread in self.seen
            if p == part
        ]

    async def user(self, name: str) -> dict[str, str]:
        self._note("user", name)
        if self.fail_user:
            raise LookupError(f"no user {name}")
        if self.barrier is not None:
            await self.barrier.wait()
        await asyncio.sleep(self.latency.get(name, 0.0))
        return {"name": name}

    async def orders(self, name: str) -> list[str]:
        self._note("orders", name)
        if self.hang_orders:
            await asyncio.Event().wait()
        if self.barrier is not None and self.both:
            await self.barrier.wait()
        return [f"{name}-order"]

    def render(self, user: dict[str, str], orders: list[str]) -> str:
        self._note("render", user["name"])
        return f"page of {user['name']} with {len(orders)} orders"

    def audit(self, page: str) -> str:
        name = page.split()[2]
        self._note("audit", name)
        return f"audited {name}"


async def handle_one(
    backend: ProbedBackend, pool: CountingPool, request_id: str = "r-7", user: str = "ada"
) -> tuple[Any, Any]:
    loop = asyncio.get_running_loop()
    request = rc.Request(request_id, user, loop.time() + 30)
    response = await within(
        10,
        rc.handle_request(request, backend, pool),
        what=f"handle_request(Request({request_id!r}, {user!r}, ...), backend, audit_pool)",
    )
    return request, response


def mismatches(rows: list[tuple[str, str, float | None, str]], request: Any) -> list[str]:
    return [
        f"ID {rid!r}, deadline {deadline!r} (thread {thread})"
        for _name, rid, deadline, thread in rows
        if rid != request.id or deadline != request.deadline
    ]


# Step 1 --------------------------------------------------------------------------------


@pytest.mark.task(1)
async def test_filter_stamps_the_current_request_id() -> None:
    """A record logged while REQUEST_ID is set carries that ID."""

    async def log_in_a_request() -> None:
        rc.REQUEST_ID.set("r-filter")
        logger.info("inside")

    with captured_log() as (logger, handler):
        await asyncio.create_task(log_in_a_request())
    stamps = [getattr(r, "request_id", "<missing>") for r in handler.records]
    assert stamps == ["r-filter"], (
        f"a record logged with REQUEST_ID set to 'r-filter' got request_id {stamps}; expected "
        "['r-filter']. In filter(), set `record.request_id = REQUEST_ID.get()`."
    )


@pytest.mark.task(1)
async def test_filter_outside_a_request_stamps_a_dash() -> None:
    """Outside any request the stamp is "-", and the filter keeps every record."""
    result = rc.RequestIdFilter().filter(
        logging.LogRecord("x", logging.INFO, "f", 1, "m", None, None)
    )
    assert result is True, (
        f"RequestIdFilter().filter(record) returned {result!r}; expected True: a filter that "
        "returns a false value drops the record."
    )
    with captured_log() as (logger, handler):
        await asyncio.to_thread(logger.info, "outside")
    stamps = [getattr(r, "request_id", "<missing>") for r in handler.records]
    assert stamps == ["-"], (
        f"a record logged outside any request got request_id {stamps}; expected ['-'] (the "
        "default of REQUEST_ID: `REQUEST_ID.get()` returns it when nothing was set)."
    )


# Step 2 --------------------------------------------------------------------------------


@pytest.mark.task(2)
async def test_child_tasks_see_the_request() -> None:
    """user() and orders(), run in child tasks, see the request's ID and deadline."""
    with captured_log() as (logger, _handler), CountingPool() as pool:
        backend = ProbedBackend(logger)
        request, _ = await handle_one(backend, pool)
    rows = backend.parts("user") + backend.parts("orders")
    assert len(rows) == 2, (
        f"the backend's user() and orders() were called {len(rows)} time(s) in all; expected once each."
    )
    wrong = mismatches(rows, request)
    assert not wrong, (
        f"in handle_request for {request.id!r} (deadline {request.deadline}), user() and "
        f"orders() saw {wrong}. Set REQUEST_ID and DEADLINE at the start of handle_request, "
        "before creating the tasks: a task copies the context it is created in."
    )


@pytest.mark.task(2)
async def test_render_thread_sees_the_request() -> None:
    """render(), run with asyncio.to_thread, sees the request's ID and deadline."""
    with captured_log() as (logger, _handler), CountingPool() as pool:
        backend = ProbedBackend(logger)
        request, _ = await handle_one(backend, pool)
    rows = backend.parts("render")
    assert len(rows) == 1, f"render() was called {len(rows)} time(s); expected once."
    wrong = mismatches(rows, request)
    assert not wrong, (
        f"render() saw {wrong}; expected ID {request.id!r} and deadline {request.deadline}. "
        "Run it with `await asyncio.to_thread(backend.render, ...)`, after setting the "
        "variables: to_thread copies the current context into the thread."
    )
    assert rows[0][3] != threading.current_thread().name, (
        "render() ran on the event loop's own thread; it blocks, so run it with asyncio.to_thread."
    )


@pytest.mark.task(2)
async def test_audit_on_the_pool_sees_the_request() -> None:
    """audit() runs once on audit_pool, and sees the request's ID and deadline there."""
    with captured_log() as (logger, handler), CountingPool() as pool:
        backend = ProbedBackend(logger)
        request, _ = await handle_one(backend, pool)
    rows = backend.parts("audit")
    assert len(rows) == 1, f"audit() was called {len(rows)} time(s); expected once."
    thread = rows[0][3]
    assert pool.submitted == 1 and thread.startswith(AUDIT_THREADS), (
        f"audit() ran on thread {thread!r} and {pool.submitted} job(s) were submitted to "
        "audit_pool; expected it to run on audit_pool: "
        "`loop.run_in_executor(audit_pool, ...)`."
    )
    wrong = mismatches(rows, request)
    stamps = [
        getattr(r, "request_id", "<missing>")
        for r in handler.records
        if r.getMessage().startswith("audit")
    ]
    assert not wrong and stamps == [request.id], (
        f"audit() on audit_pool saw {wrong} and its log line was stamped {stamps}; expected "
        f"ID {request.id!r}. run_in_executor does not copy the context (to_thread does): "
        "the job runs in the worker thread's own context. Pass "
        "`contextvars.copy_context().run` as the function, and the audit and its argument "
        "after it."
    )


@pytest.mark.task(2)
async def test_response_holds_each_part() -> None:
    """handle_request returns the request's ID, the user, the orders, the page and the audit."""
    with captured_log() as (logger, _), CountingPool() as pool:
        backend = ProbedBackend(logger)
        _request, response = await handle_one(backend, pool, "r-9", "bo")
    expected = rc.Response(
        "r-9", {"name": "bo"}, ["bo-order"], "page of bo with 1 orders", "audited bo"
    )
    assert response == expected, (
        f"handle_request returned {response!r}; expected {expected!r}: the request's ID, "
        "what user() and orders() returned, the rendered page and the audit's result."
    )


@pytest.mark.task(2)
async def test_user_and_orders_are_fetched_together() -> None:
    """user() and orders() are in flight at the same time (each waits for the other)."""
    with captured_log() as (logger, _), CountingPool() as pool:
        backend = ProbedBackend(logger, barrier=asyncio.Barrier(2), both=True)
        loop = asyncio.get_running_loop()
        request = rc.Request("r-1", "ada", loop.time() + 30)
        try:
            await within(3, rc.handle_request(request, backend, pool), what="handle_request(...)")
        except Exception as exc:
            if "did not finish within" not in str(exc):
                raise
            pytest.fail(
                "user() and orders() each wait until the other has started, and handle_request "
                "did not finish: they ran one after the other. Create both tasks in a "
                "TaskGroup before awaiting either."
            )


@pytest.mark.task(2)
async def test_a_failing_fetch_stops_the_other() -> None:
    """When user() fails while orders() still waits, handle_request raises the error and
    orders() is not left running (a TaskGroup cancels it; gather would not)."""
    with captured_log() as (logger, _), CountingPool() as pool:
        backend = ProbedBackend(logger, fail_user=True, hang_orders=True)
        loop = asyncio.get_running_loop()
        request = rc.Request("r-x", "nobody", loop.time() + 30)
        _, error = await outcome(
            10, rc.handle_request(request, backend, pool), what="handle_request(...)"
        )
    assert error is not None and any(isinstance(e, LookupError) for e in leaves(error)), (
        f"with user() failing and orders() still waiting, handle_request raised {error!r}; "
        "expected user()'s LookupError (alone or in the TaskGroup's ExceptionGroup)."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_deadline_stops_the_fetches_at_that_time() -> None:
    """With orders() hanging, handle_request raises TimeoutError exactly at the deadline
    (an absolute loop time, not a duration)."""
    await asyncio.sleep(100)  # the loop's clock is far from 0: a deadline is not a duration
    with captured_log() as (logger, _), CountingPool() as pool:
        backend = ProbedBackend(logger, hang_orders=True)
        loop = asyncio.get_running_loop()
        request = rc.Request("r-late", "ada", loop.time() + 2)
        started = loop.time()
        _, error = await outcome(
            300, rc.handle_request(request, backend, pool), what="handle_request(...)"
        )
        took = loop.time() - started
    assert isinstance(error, TimeoutError), (
        f"with orders() never answering, handle_request raised {error!r}; expected "
        "TimeoutError. Wrap the fetches in `async with asyncio.timeout_at(request.deadline):`."
        + (
            " (An ExceptionGroup of TimeoutErrors means the timeout is inside the TaskGroup; "
            "put it around it.)"
            if error is not None and all(isinstance(e, TimeoutError) for e in leaves(error))
            else ""
        )
    )
    assert took == pytest.approx(2.0), (
        f"handle_request gave up after {took:g} s of loop time; the deadline was 2 s away "
        f"(loop time {request.deadline:g}). request.deadline is a time of the loop's clock: "
        "asyncio.timeout_at(deadline) ends then, asyncio.timeout(deadline) would wait "
        "`deadline` seconds from now."
    )


@pytest.mark.task(2)
async def test_caller_context_is_restored_after_return() -> None:
    """After handle_request returns, REQUEST_ID and DEADLINE are the caller's values again
    (a connection serving requests one after another in one task)."""

    async def serve_in_one_task() -> tuple[str, float | None]:
        # Called directly, not through within(): within() runs its call in a task of its
        # own, that is in a copy of the context, which would hide a missing reset.
        rc.REQUEST_ID.set("connection-1")
        rc.DEADLINE.set(None)
        loop = asyncio.get_running_loop()
        await rc.handle_request(rc.Request("r-7", "ada", loop.time() + 30), backend, pool)
        return rc.REQUEST_ID.get(), rc.DEADLINE.get()

    with captured_log() as (logger, _), CountingPool() as pool:
        backend = ProbedBackend(logger)
        after = await within(10, serve_in_one_task(), what="a task calling handle_request")
    assert after == ("connection-1", None), (
        f"after handle_request returned, the caller's REQUEST_ID and DEADLINE were {after}; "
        "expected ('connection-1', None), as before the call. Keep the tokens that set() "
        "returns and call REQUEST_ID.reset(token) (and DEADLINE's) in a `finally:`."
    )


@pytest.mark.task(2)
async def test_caller_context_is_restored_after_an_error() -> None:
    """When the backend fails, handle_request raises and still restores the caller's values."""

    async def serve_in_one_task() -> tuple[BaseException | None, str, float | None]:
        rc.REQUEST_ID.set("connection-1")
        rc.DEADLINE.set(None)
        loop = asyncio.get_running_loop()
        request = rc.Request("r-bad", "nobody", loop.time() + 30)
        error: BaseException | None = None
        try:  # called directly, in this task's own context (see the test above)
            await rc.handle_request(request, backend, pool)
        except NotImplementedError:
            raise
        except Exception as exc:
            error = exc
        return error, rc.REQUEST_ID.get(), rc.DEADLINE.get()

    with captured_log() as (logger, _), CountingPool() as pool:
        backend = ProbedBackend(logger, fail_user=True)
        error, *after = await within(10, serve_in_one_task(), what="a task calling handle_request")
    assert error is not None and any(isinstance(e, LookupError) for e in leaves(error)), (
        f"with user() raising LookupError, handle_request raised {error!r}; expected the "
        "LookupError to come out (alone or in the TaskGroup's ExceptionGroup)."
    )
    assert tuple(after) == ("connection-1", None), (
        f"after handle_request raised, the caller's REQUEST_ID and DEADLINE were "
        f"{tuple(after)}; expected ('connection-1', None). Reset them in a `finally:`, so an "
        "error does not leave the failed request's ID on the connection."
    )


# Step 3 --------------------------------------------------------------------------------

NAMES = ["ada", "bo", "cy", "dee"]


def requests_for(names: list[str]) -> list[Any]:
    loop = asyncio.get_running_loop()
    return [rc.Request(f"r-{name}", name, loop.time() + 30) for name in names]


@pytest.mark.task(3)
async def test_requests_are_handled_concurrently() -> None:
    """The requests are all in flight at once (user() waits until every request reached it)."""
    with captured_log() as (logger, _), CountingPool() as pool:
        backend = ProbedBackend(logger, barrier=asyncio.Barrier(len(NAMES)))
        try:
            await within(
                3, rc.handle_all(requests_for(NAMES), backend, pool), what="handle_all(...)"
            )
        except Exception as exc:
            if "did not finish within" not in str(exc):
                raise
            pytest.fail(
                f"user() waits until all {len(NAMES)} requests have called it, and handle_all "
                "did not finish: the requests were handled one after another. Start one task "
                "per request (a TaskGroup or gather), then wait for them together."
            )


@pytest.mark.task(3)
async def test_concurrent_requests_keep_their_own_ids() -> None:
    """Interleaved requests never see each other's ID, in tasks, threads or the pool."""
    with captured_log() as (logger, handler), CountingPool() as pool:
        backend = ProbedBackend(logger, barrier=asyncio.Barrier(len(NAMES)))
        await within(10, rc.handle_all(requests_for(NAMES), backend, pool), what="handle_all(...)")
    wrong = [
        f"{part} for {name} saw {rid!r}"
        for part, name, rid, _deadline, _thread in backend.seen
        if rid != f"r-{name}"
    ]
    stamps = [
        f"{r.getMessage()!r} stamped {getattr(r, 'request_id', '<missing>')!r}"
        for r in handler.records
        if getattr(r, "request_id", None) != f"r-{r.getMessage().split()[-1]}"
    ]
    assert not wrong and not stamps, (
        f"with {len(NAMES)} requests interleaved, parts of the work saw another request's ID: "
        f"{(wrong + stamps)[:4]}. Each request must set REQUEST_ID in its own task (set it in "
        "handle_request, which each task runs), never in code shared by all requests."
    )


@pytest.mark.task(3)
async def test_responses_come_in_request_order() -> None:
    """Responses are in request order, though the first request finishes last."""
    latency = {name: 0.05 * (len(NAMES) - i) for i, name in enumerate(NAMES)}
    with captured_log() as (logger, _), CountingPool() as pool:
        backend = ProbedBackend(logger, latency=latency)
        responses = await within(
            10, rc.handle_all(requests_for(NAMES), backend, pool), what="handle_all(...)"
        )
    got = [getattr(r, "request_id", r) for r in responses]
    expected = [f"r-{name}" for name in NAMES]
    assert got == expected, (
        f"handle_all returned responses for {got}; expected {expected}, in request order "
        "(the first request was the slowest, so completion order is the reverse)."
    )


@pytest.mark.task(3)
async def test_a_failing_request_stops_the_others() -> None:
    """When one request fails, handle_all raises its error (in an ExceptionGroup) and no
    other request is left running."""
    with captured_log() as (logger, _), CountingPool() as pool:
        backend = ProbedBackend(logger, latency={"ada": 5.0}, fail_user=False)
        failing = ProbedBackend(logger, fail_user=True)

        class OneFails(ProbedBackend):
            async def user(self, name: str) -> dict[str, str]:
                if name == "bo":
                    return await failing.user(name)
                return await backend.user(name)

        mixed = OneFails(logger)
        _, error = await outcome(
            10, rc.handle_all(requests_for(["ada", "bo"]), mixed, pool), what="handle_all(...)"
        )
    assert error is not None and any(isinstance(e, LookupError) for e in leaves(error)), (
        f"with bo's user() failing, handle_all raised {error!r}; expected bo's LookupError "
        "to come out (a TaskGroup raises it in an ExceptionGroup)."
    )
