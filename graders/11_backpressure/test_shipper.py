"""Grades exercises/11_backpressure/shipper.py: a bounded queue, batches, a clean end.

Requirements:
- 1: every line is put on the queue in order, then the stream is ended (shutdown() on
  3.13+, END before) -> test_read_lines_queues_every_line_then_ends_the_stream
- 1: `await queue.put()` waits for room: a full queue stops the reader pulling lines
  -> test_read_lines_waits_when_the_queue_is_full
- 2: every line sent, in order, the count returned; no empty batch; an empty line ("") is a
  line, not the end -> test_send_batches_delivers_every_line_in_order
- 2: the last, partial batch is sent -> test_send_batches_sends_the_last_partial_batch
- 2: no batch above batch_size -> test_send_batches_never_exceeds_the_batch_size
- 2: the lines already waiting join the batch -> test_send_batches_fills_batches_from_waiting_lines
- 2: one batch at a time (await sink before the next) -> test_send_batches_sends_one_batch_at_a_time
- 2: an empty queue is not the end -> test_send_batches_waits_for_lines_still_to_come
- 2: a line is sent when it arrives, not held back until a batch fills
  -> test_send_batches_sends_a_line_as_soon_as_it_arrives
- 3: every line arrives (an empty one too), and ship_logs returns after the last batch was
  sent -> test_ship_logs_delivers_every_line_in_order
- 3: the queue is bounded to max_pending: at most max_pending + 1 (the reader's, waiting for
  room) + batch_size lines pulled but not handed over -> test_ship_logs_keeps_the_backlog_bounded
- 3: ValueError below 1, and 1 accepted -> test_ship_logs_rejects_an_unbounded_queue
- 3: an empty source sends nothing -> test_ship_logs_with_no_lines_sends_nothing
- 3: a failing sink makes ship_logs raise, with the reader stopped (nothing left running)
  -> test_ship_logs_fails_when_the_sink_fails
- 3: cancelled while the sender waits in get(), ship_logs ends with CancelledError (on
  3.11/3.12 an unguarded `except asyncio.QueueShutDown` turns it into AttributeError)
  -> test_ship_logs_can_be_cancelled_while_the_sender_waits
- 3: a source failing while the sender waits in get() makes ship_logs raise that error and
  no other, with the sender stopped -> test_ship_logs_fails_when_the_source_fails
- checks: no task left running, no coroutine un-awaited, the loop never blocked
  -> test_ship_logs_fails_when_the_sink_fails, test_ship_logs_delivers_every_line_in_order
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

import pytest

from katagrader import DeadlineExceeded, InFlight, learner_module, leaves, outcome, within

shipper = learner_module("shipper")

T = TypeVar("T")

END_RULE = (
    "on Python 3.13+ end the stream with queue.shutdown() (get() then raises "
    "asyncio.QueueShutDown once the queue is empty); on 3.11/3.12 put END after the last line"
)


class SinkDown(Exception):
    """The grader's collector is unreachable."""


class ProbedSink:
    """A collector whose sends take `latency` virtual seconds; it records every batch, how
    many lines it was handed and how many it finished sending, and counts sends in flight."""

    def __init__(self, latency: float = 1.0, *, fail_on_batch: int | None = None) -> None:
        self.latency = latency
        self.fail_on_batch = fail_on_batch
        self.batches: list[list[str]] = []
        self.sent_at: list[float] = []  # loop time at which each batch was handed over
        self.handed = 0
        self.finished = 0
        self.in_flight = InFlight()

    async def __call__(self, batch: list[str]) -> None:
        self.batches.append(list(batch))
        self.sent_at.append(asyncio.get_running_loop().time())
        self.handed += len(batch)
        async with self.in_flight:
            await asyncio.sleep(self.latency)
        if self.fail_on_batch == len(self.batches):
            raise SinkDown("collector unreachable")
        self.finished += len(batch)

    @property
    def lines(self) -> list[str]:
        return [line for batch in self.batches for line in batch]

    @property
    def sizes(self) -> list[int]:
        return [len(batch) for batch in self.batches]


def numbered_lines(count: int, blank_at: int | None = None) -> list[str]:
    """`count` distinct log lines, in order; the one at `blank_at` (if any) is empty."""
    return ["" if n == blank_at else f"line {n:04d}" for n in range(count)]


class ProbedSource:
    """A fast source (it never waits) that records how many lines were pulled from it and
    the largest number of lines pulled but not yet handed to `sink`. With `blank_at`, that
    line is an empty one ("" is a log line like any other)."""

    def __init__(
        self, count: int, sink: ProbedSink | None = None, *, blank_at: int | None = None
    ) -> None:
        self.lines = numbered_lines(count, blank_at)
        self.sink = sink
        self.pulled = 0
        self.worst_backlog = 0

    def __aiter__(self) -> ProbedSource:
        return self

    async def __anext__(self) -> str:
        if self.pulled == len(self.lines):
            raise StopAsyncIteration
        line = self.lines[self.pulled]
        self.pulled += 1
        if self.sink is not None:
            self.worst_backlog = max(self.worst_backlog, self.pulled - self.sink.handed)
        return line


class SourceBroken(Exception):
    """The grader's log source failed (a log tail whose file vanished)."""


class StallingSource:
    """A log tail: hands out `count` lines at once, then waits for the next one, which never
    comes; once `fail()` is called, that wait raises SourceBroken instead."""

    def __init__(self, count: int) -> None:
        self.lines = numbered_lines(count)
        self._pending = list(self.lines)
        self.waiting = False
        self._broken = asyncio.Event()

    def __aiter__(self) -> StallingSource:
        return self

    async def __anext__(self) -> str:
        if self._pending:
            return self._pending.pop(0)
        self.waiting = True
        await self._broken.wait()
        raise SourceBroken("log file vanished")

    def fail(self) -> None:
        self._broken.set()


def _ended(task: asyncio.Future[object]) -> str:
    """How a finished task ended, in words (and its exception marked as retrieved)."""
    if task.cancelled():
        return "ended with CancelledError"
    error = task.exception()
    if error is not None:
        return f"raised {error!r}"
    return f"returned {task.result()!r}"


def shutdown_lookup_advice(error: BaseException | None) -> str:
    """The hint for `except asyncio.QueueShutDown` evaluated where asyncio lacks it."""
    if error is None or not any(
        isinstance(leaf, AttributeError) and "QueueShutDown" in str(leaf) for leaf in leaves(error)
    ):
        return ""
    return (
        f" The AttributeError is `except asyncio.QueueShutDown`: a clause's class is looked "
        f"up only when an exception reaches it, here the CancelledError raised in `await "
        f"queue.get()`, and Python {sys.version_info.major}.{sys.version_info.minor}'s "
        "asyncio has no QueueShutDown (new in 3.13). Guard the try/except with `if "
        "sys.version_info >= (3, 13):` and use a plain `await queue.get()` otherwise."
    )


async def sender_waiting(
    source: StallingSource, sink: ProbedSink, task: asyncio.Future[object], what: str
) -> None:
    """Let `task` (ship_logs over `source`) send the source's lines, until the sender waits
    in `get()` for a line that does not come; fail if it never gets there."""
    for _ in range(30):  # virtual seconds: the 3 lines are sent in 1
        if task.done() or (source.waiting and sink.finished == len(source.lines)):
            break
        await asyncio.sleep(1)
    await asyncio.sleep(1)  # the sender is back in `await queue.get()`
    if task.done():
        if not task.cancelled() and task.exception() is not None:
            task.result()  # the learner's own error (NotImplementedError...) is the verdict
        pytest.fail(
            f"{what} {_ended(task)} while its source was still open (waiting for its next "
            "line); expected it to keep waiting for lines until the source ends."
        )
    if sink.finished != len(source.lines):
        pytest.fail(
            f"{what}: the source handed out {len(source.lines)} lines at once, and 30 s later "
            f"the collector had sent {sink.finished} of them (batches {sink.sizes}); expected "
            "all of them, sent while the source waits for more."
        )


async def wait_for_end(task: asyncio.Future[object], what: str, after: str) -> None:
    """Wait for `task` to end; fail if it refuses to (a swallowed cancellation)."""
    await asyncio.wait({task}, timeout=10)
    if not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1)
        pytest.fail(
            f"{what} was still running 10 s after {after}. Never catch "
            "asyncio.CancelledError (or use `except BaseException:`) without raising it again: "
            "the TaskGroup cancels the sender, and waits for it."
        )


async def call(seconds: float, awaitable: Awaitable[T], *, what: str) -> T:
    """within(), plus this kata's advice when asyncio.QueueShutDown escapes the learner's
    code. (An unfinished step inside the learner's TaskGroup already reads as "not
    started": the engine looks inside ExceptionGroups.)"""
    try:
        return await within(seconds, awaitable, what=what)
    except Exception as exc:
        if sys.version_info >= (3, 13) and isinstance(exc, asyncio.QueueShutDown):
            raise AssertionError(
                f"{what} raised asyncio.QueueShutDown: the stream was ended with "
                f"queue.shutdown() and the error escaped. The rule: {END_RULE}. "
                "In send_batches, catch "
                "QueueShutDown around `await queue.get()` and treat it as the end."
            ) from exc
        raise


def end_stream(queue: asyncio.Queue[str | None]) -> None:
    """End a queue's stream the way the README says (the grader playing read_lines)."""
    if sys.version_info >= (3, 13):
        queue.shutdown()
    else:
        queue.put_nowait(shipper.END)


async def drain(queue: asyncio.Queue[str | None]) -> list[str]:
    """Read a queue to the end of its stream (the grader playing send_batches)."""
    lines: list[str] = []
    while True:
        if sys.version_info >= (3, 13):
            try:
                line = await queue.get()
            except asyncio.QueueShutDown:
                return lines
        else:
            line = await queue.get()
        if line is None:
            if sys.version_info >= (3, 13):
                raise AssertionError(
                    f"read_lines put END (None) on the queue after {len(lines)} lines. "
                    f"The rule: {END_RULE}."
                )
            return lines
        lines.append(line)


def filled_queue(count: int, *, blank_at: int | None = None) -> asyncio.Queue[str | None]:
    """An unbounded queue holding `count` lines (`blank_at` an empty one), its stream ended."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    for line in numbered_lines(count, blank_at):
        queue.put_nowait(line)
    end_stream(queue)
    return queue


def blank_line_advice(got: list[str], expected: list[str]) -> str:
    """The hint for a sender that took the empty line for the end of the stream, or dropped it."""
    if "" not in expected:
        return ""
    blank = expected.index("")
    if len(got) <= blank and got == expected[: len(got)]:
        return (
            f' The lines stopped before line {blank}, an empty line (""): an empty log line '
            "is a line to send, not the end of the stream. Recognise the end by what it is "
            "(`line is END`, or QueueShutDown on 3.13+), never by its truth value (`if not "
            "line:`)."
        )
    if got == [line for line in expected if line]:
        return (
            f' Only line {blank}, an empty line (""), was missing: an empty log line is a '
            "line to send too; test for the end with `line is END`, not `if line:`."
        )
    return ""


# Step 1: read_lines ----------------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_read_lines_queues_every_line_then_ends_the_stream() -> None:
    """read_lines puts every line in order, then ends the stream as the README says."""
    source = ProbedSource(12)
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    await call(10, shipper.read_lines(source, queue), what="read_lines(source, queue)")
    try:
        got = await within(1, drain(queue), what="reading the queue read_lines filled")
    except DeadlineExceeded:
        raise AssertionError(
            f"read_lines(source, queue) returned, but the stream was never ended: after the "
            f"12 lines the queue stayed open, so a sender would wait forever. The rule: {END_RULE}."
        ) from None
    assert got == source.lines, (
        f"read_lines(source, queue) queued {got}; expected the 12 lines of the source in order."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_read_lines_waits_when_the_queue_is_full() -> None:
    """With no room on the queue, read_lines stops pulling lines (it neither drops nor hoards)."""
    source = ProbedSource(10)
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=3)
    reader = asyncio.create_task(shipper.read_lines(source, queue))
    try:
        await asyncio.sleep(5)
        if reader.done():
            reader.result()  # raises what read_lines raised
        pulled = source.pulled
        got = await within(10, drain(queue), what="reading the queue read_lines filled")
        await within(1, reader, what="read_lines(source, queue) after its stream was read")
    finally:
        reader.cancel()
    assert pulled <= 4, (
        f"read_lines(source, queue) pulled {pulled} lines from the source while nobody read "
        "the queue, which holds 3; expected at most 4 (3 queued, 1 waiting for room). "
        "`await queue.put(line)` waits for room: that wait is the backpressure."
    )
    assert got == source.lines, (
        f"with a full queue, read_lines delivered {len(got)} of 10 lines; expected all 10 in "
        "order: wait for room with `await queue.put(line)`, never drop a line."
    )


# Step 2: send_batches --------------------------------------------------------------------


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_send_batches_delivers_every_line_in_order() -> None:
    """send_batches sends every queued line (an empty one too), in order, and returns how
    many it sent."""
    # 60: the stream ends right after a full batch. Line 23 is empty: a line, not the end.
    for count in (57, 60):
        sink = ProbedSink()
        queue = filled_queue(count, blank_at=23)
        sent = await call(
            120, shipper.send_batches(queue, sink, 10), what="send_batches(queue, sink, 10)"
        )
        expected = numbered_lines(count, blank_at=23)
        assert sink.lines == expected, (
            f"send_batches(queue, sink, 10) with {count} lines queued (line 23 empty) sent "
            f"{len(sink.lines)} lines in batches of {sink.sizes}; expected all {count}, in "
            f"queue order.{blank_line_advice(sink.lines, expected)}"
        )
        assert 0 not in sink.sizes, (
            f"send_batches(queue, sink, 10) with {count} lines queued sent batches of "
            f"{sink.sizes}; expected no empty batch: send the batch you hold at the end only "
            "if it holds a line."
        )
        assert sent == count, (
            f"send_batches returned {sent!r}; expected {count}, the number of lines sent."
        )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_send_batches_sends_the_last_partial_batch() -> None:
    """When the stream ends, the lines of an unfinished batch are still sent."""
    sink = ProbedSink()
    queue = filled_queue(23)
    await call(60, shipper.send_batches(queue, sink, 10), what="send_batches(queue, sink, 10)")
    advice = (
        "No batch may hold more than batch_size lines."
        if sink.sizes and max(sink.sizes) > 10
        else "When the stream ends, send the batch you are holding before returning: the "
        "last lines of a log are often the ones that matter."
    )
    assert sink.sizes == [10, 10, 3], (
        f"send_batches(queue, sink, 10) with 23 lines queued sent batches of {sink.sizes} "
        f"lines; expected [10, 10, 3]. {advice}"
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_send_batches_never_exceeds_the_batch_size() -> None:
    """No batch holds more than batch_size lines, however many are waiting."""
    sink = ProbedSink()
    queue = filled_queue(50)
    await call(60, shipper.send_batches(queue, sink, 8), what="send_batches(queue, sink, 8)")
    assert sink.sizes and max(sink.sizes) <= 8, (
        f"send_batches(queue, sink, 8) with 50 lines waiting sent batches of {sink.sizes} "
        "lines; expected none above 8. Stop adding lines to a batch when it is full, even "
        "if more are waiting: the collector limits the size of a request."
    )
    big = ProbedSink()
    await call(
        60, shipper.send_batches(filled_queue(650), big, 300), what="send_batches(queue, sink, 300)"
    )
    assert big.sizes == [300, 300, 50], (
        f"send_batches(queue, sink, 300) with 650 lines waiting sent batches of {big.sizes}; "
        "expected [300, 300, 50]. (Compare sizes with `<` or `==`, never `is`: only small "
        "ints are shared objects.)"
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_send_batches_fills_batches_from_waiting_lines() -> None:
    """Lines already waiting go out together: every batch but the last is full."""
    sink = ProbedSink()
    queue = filled_queue(50)
    await call(60, shipper.send_batches(queue, sink, 8), what="send_batches(queue, sink, 8)")
    assert sink.sizes[:-1] == [8] * 6, (
        f"send_batches(queue, sink, 8) with 50 lines waiting sent batches of {sink.sizes} "
        "lines; expected six batches of 8, then 2. Once you have a line, also take the "
        "lines already queued (`while len(batch) < batch_size and not queue.empty(): "
        "batch.append(queue.get_nowait())`)."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_send_batches_sends_one_batch_at_a_time() -> None:
    """The sink is never called again before the previous batch was sent, so order holds."""
    sink = ProbedSink()
    queue = filled_queue(40)
    await call(60, shipper.send_batches(queue, sink, 5), what="send_batches(queue, sink, 5)")
    assert sink.in_flight.peak == 1, (
        f"send_batches(queue, sink, 5) had {sink.in_flight.peak} batches in flight at once; "
        "expected 1. `await sink(batch)` before taking the next batch: concurrent sends can "
        "reach the collector out of order."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_send_batches_waits_for_lines_still_to_come() -> None:
    """An empty queue is not the end of the stream: lines arriving later are sent too."""
    sink = ProbedSink(latency=0.1)
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    lines = [f"late {n}" for n in range(5)]

    async def slow_app() -> None:
        for line in lines:
            await asyncio.sleep(1)
            await queue.put(line)
        end_stream(queue)

    app = asyncio.create_task(slow_app())
    try:
        sent = await call(
            30, shipper.send_batches(queue, sink, 10), what="send_batches(queue, sink, 10)"
        )
    finally:
        app.cancel()
        await asyncio.gather(app, return_exceptions=True)
    assert sink.lines == lines and sent == 5, (
        f"with one line arriving every second, send_batches(queue, sink, 10) sent "
        f"{sink.lines} and returned {sent!r}; expected all 5 lines and 5. Wait for the next "
        "line with `await queue.get()`; only the end of the stream ends the loop."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_send_batches_sends_a_line_as_soon_as_it_arrives() -> None:
    """A quiet app's lines are sent as they arrive: the sender does not hold a line back
    waiting for a batch to fill."""
    sink = ProbedSink(latency=0.1)
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    lines = [f"late {n}" for n in range(5)]
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def slow_app() -> None:
        for line in lines:
            await asyncio.sleep(1)
            await queue.put(line)
        await asyncio.sleep(1)
        end_stream(queue)

    app = asyncio.create_task(slow_app())
    try:
        await call(30, shipper.send_batches(queue, sink, 10), what="send_batches(queue, sink, 10)")
    finally:
        app.cancel()
        await asyncio.gather(app, return_exceptions=True)
    sent_at = [round(t - started, 6) for t in sink.sent_at]
    assert sink.batches == [[line] for line in lines] and sent_at == [1.0, 2.0, 3.0, 4.0, 5.0], (
        f"with one line arriving every second (at 1, 2, 3, 4, 5 s) and batches of up to 10, "
        f"send_batches sent the batches {sink.batches} at {sent_at} s; expected each line "
        "alone, at the second it arrived. Wait for the first line of a batch, then take only "
        "the lines already waiting (`not queue.empty()`); waiting for a full batch holds a "
        "quiet app's lines back for as long as it stays quiet."
    )


# Step 3: ship_logs -----------------------------------------------------------------------


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_ship_logs_delivers_every_line_in_order() -> None:
    """ship_logs returns only after every line (an empty one too) was sent, in order, in
    batches."""
    sink = ProbedSink()
    source = ProbedSource(103, sink, blank_at=47)  # an empty log line is a line
    try:
        sent = await call(
            600,
            shipper.ship_logs(source, sink, max_pending=20, batch_size=10),
            what="ship_logs(source, sink, max_pending=20, batch_size=10)",
        )
    except DeadlineExceeded as exc:  # a sender that stopped early leaves the reader waiting
        advice = blank_line_advice(sink.lines, source.lines)
        if advice:
            raise DeadlineExceeded(exc.message + "\n" + advice.strip()) from None
        raise
    assert sink.lines == source.lines and sent == 103, (
        f"ship_logs(source, sink, max_pending=20, batch_size=10) with 103 lines (line 47 "
        f"empty) sent {len(sink.lines)} lines (batches of {sink.sizes}) and returned "
        f"{sent!r}; expected all 103 in order, and 103."
        f"{blank_line_advice(sink.lines, source.lines)}"
    )
    assert sink.finished == 103, (
        f"ship_logs returned when the collector had finished {sink.finished} of 103 lines; "
        "return only once the sender has sent the last batch."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_ship_logs_keeps_the_backlog_bounded() -> None:
    """A fast source is held back: never more than max_pending + 1 + batch_size lines are
    pulled from it but not yet handed to the collector."""
    sink = ProbedSink()
    source = ProbedSource(300, sink)
    await call(
        600,
        shipper.ship_logs(source, sink, max_pending=20, batch_size=5),
        what="ship_logs(source, sink, max_pending=20, batch_size=5)",
    )
    assert source.worst_backlog <= 26, (
        f"ship_logs(source, sink, max_pending=20, batch_size=5) had up to "
        f"{source.worst_backlog} lines pulled from the source but not yet handed to the "
        "collector; expected at most 26 (20 queued, 1 the reader holds while it waits for "
        "room, 5 in a batch being gathered). Bound the queue, `asyncio.Queue(maxsize="
        "max_pending)`: an unbounded queue lets a fast source fill memory while the "
        "collector lags."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_ship_logs_rejects_an_unbounded_queue() -> None:
    """max_pending=0 (an unbounded asyncio.Queue) or batch_size=0 raise ValueError."""
    for kwargs in ({"max_pending": 0, "batch_size": 5}, {"max_pending": 5, "batch_size": 0}):
        sink = ProbedSink()
        what = "ship_logs(source, sink, " + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"
        try:
            await call(60, shipper.ship_logs(ProbedSource(3, sink), sink, **kwargs), what=what)
        except ValueError:
            continue
        raise AssertionError(
            f"{what} returned normally; expected ValueError. asyncio.Queue(maxsize=0) is an "
            "unbounded queue, the very thing a bounded buffer is meant to prevent, and a "
            "batch of 0 lines can never be sent: check the arguments before starting."
        )
    sink = ProbedSink()
    what = "ship_logs(source of 4 lines, sink, max_pending=1, batch_size=1)"
    sent, error = await outcome(
        60, shipper.ship_logs(ProbedSource(4, sink), sink, max_pending=1, batch_size=1), what
    )
    assert error is None and sent == 4 and sink.sizes == [1, 1, 1, 1], (
        f"{what} "
        + (f"raised {error!r}" if error else f"returned {sent!r}, batches {sink.sizes}")
        + "; expected 4 batches of 1 line: 1 is the smallest valid value, only below 1 is refused."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_ship_logs_with_no_lines_sends_nothing() -> None:
    """An empty source gives 0 and no call to the sink (not an empty batch)."""
    sink = ProbedSink()
    sent = await call(
        10,
        shipper.ship_logs(ProbedSource(0, sink), sink, max_pending=5, batch_size=5),
        what="ship_logs(empty source, sink, max_pending=5, batch_size=5)",
    )
    assert sent == 0 and sink.batches == [], (
        f"ship_logs with an empty source returned {sent!r} and sent {sink.batches}; expected "
        "0 and no batch at all."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_ship_logs_fails_when_the_sink_fails() -> None:
    """If the sink raises, ship_logs raises too (bare or in a group) and stops the reader."""
    sink = ProbedSink(fail_on_batch=2)
    source = ProbedSource(200, sink)
    what = "ship_logs(source, failing sink, max_pending=10, batch_size=10)"
    # within() also checks, the instant ship_logs returns, that the reader is not still running.
    _, raised = await outcome(
        60, shipper.ship_logs(source, sink, max_pending=10, batch_size=10), what
    )
    assert raised is not None, (
        f"{what} returned normally although the sink raised SinkDown on the 2nd batch; "
        "expected the error to reach the caller."
    )
    assert any(isinstance(leaf, SinkDown) for leaf in leaves(raised)), (
        f"{what} raised {raised!r}; expected SinkDown (the sink's error), bare or in a group."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_ship_logs_can_be_cancelled_while_the_sender_waits() -> None:
    """Cancelled while the sender waits for the next line, ship_logs ends with
    CancelledError (no other error comes out of `await queue.get()`)."""
    sink = ProbedSink()
    source = StallingSource(3)
    what = "ship_logs(source, sink, max_pending=5, batch_size=5)"
    task = asyncio.ensure_future(shipper.ship_logs(source, sink, max_pending=5, batch_size=5))
    try:
        await sender_waiting(source, sink, task, what)
        task.cancel()
        await wait_for_end(task, what, "it was cancelled")
    finally:
        task.cancel()
        await asyncio.wait({task}, timeout=1)
    error = None if task.cancelled() else task.exception()
    assert task.cancelled(), (
        f"{what} was cancelled while the sender waited in `await queue.get()` for a line, "
        f"and it {_ended(task)}; expected it to end with CancelledError: a shutdown or a "
        f"timeout cancels a shipper whose app is quiet.{shutdown_lookup_advice(error)}"
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_ship_logs_fails_when_the_source_fails() -> None:
    """If the source raises while the sender waits for a line, ship_logs raises the source's
    error (bare or in a group) and nothing else, and stops the sender."""
    sink = ProbedSink()
    source = StallingSource(3)
    what = "ship_logs(failing source, sink, max_pending=5, batch_size=5)"
    task = asyncio.ensure_future(shipper.ship_logs(source, sink, max_pending=5, batch_size=5))
    try:
        await sender_waiting(source, sink, task, what)
        source.fail()
        await asyncio.wait({task}, timeout=10)
        if not task.done():
            pytest.fail(
                f"{what}: the source raised SourceBroken while the sender waited in `await "
                "queue.get()`, and 10 s later ship_logs was still waiting for a line that will "
                "never come. Run the reader and the sender in one `asyncio.TaskGroup`: a task "
                "that fails makes the group cancel the other one and raise."
            )
    finally:
        task.cancel()
        await asyncio.wait({task}, timeout=1)
    raised = None if task.cancelled() else task.exception()
    assert raised is not None, (
        f"{what} {_ended(task)} although the source raised SourceBroken; expected the "
        "error to reach the caller (the lines after it were never read)."
    )
    others = [leaf for leaf in leaves(raised) if not isinstance(leaf, SourceBroken)]
    assert len(others) < len(leaves(raised)) and not others, (
        f"the source raised SourceBroken while the sender waited for a line; {what} raised "
        f"{raised!r}; expected SourceBroken alone (bare or in a group): the TaskGroup cancels "
        "the sender, which must end with CancelledError, not an error of its own."
        f"{shutdown_lookup_advice(raised)}"
    )
