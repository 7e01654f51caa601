"""Grades exercises/11_backpressure/shipper.py: a bounded queue, batches, a clean end.

Requirements:
- 1: every line is put on the queue in order, then the stream is ended (shutdown() on
  3.13+, END before) -> test_read_lines_queues_every_line_then_ends_the_stream
- 1: `await queue.put()` waits for room: a full queue stops the reader pulling lines
  -> test_read_lines_waits_when_the_queue_is_full
- 2: every line sent, in order, the count returned; no empty batch
  -> test_send_batches_delivers_every_line_in_order
- 2: the last, partial batch is sent -> test_send_batches_sends_the_last_partial_batch
- 2: no batch above batch_size -> test_send_batches_never_exceeds_the_batch_size
- 2: the lines already waiting join the batch -> test_send_batches_fills_batches_from_waiting_lines
- 2: one batch at a time (await sink before the next) -> test_send_batches_sends_one_batch_at_a_time
- 2: an empty queue is not the end -> test_send_batches_waits_for_lines_still_to_come
- 2: a line is sent when it arrives, not held back until a batch fills
  -> test_send_batches_sends_a_line_as_soon_as_it_arrives
- 3: every line arrives, and ship_logs returns after the last batch was sent
  -> test_ship_logs_delivers_every_line_in_order
- 3: the queue is bounded to max_pending -> test_ship_logs_keeps_the_backlog_bounded
- 3: ValueError below 1, and 1 accepted -> test_ship_logs_rejects_an_unbounded_queue
- 3: an empty source sends nothing -> test_ship_logs_with_no_lines_sends_nothing
- 3: a failing sink makes ship_logs raise, with the reader stopped (nothing left running)
  -> test_ship_logs_fails_when_the_sink_fails
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


class ProbedSource:
    """A fast source (it never waits) that records how many lines were pulled from it and
    the largest number of lines pulled but not yet handed to `sink`."""

    def __init__(self, count: int, sink: ProbedSink | None = None) -> None:
        self.lines = [f"line {n:04d}" for n in range(count)]
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


def filled_queue(count: int) -> asyncio.Queue[str | None]:
    """An unbounded queue holding `count` lines, its stream already ended."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(f"line {n:04d}")
    end_stream(queue)
    return queue


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
    """send_batches sends every queued line, in order, and returns how many it sent."""
    for count in (57, 60):  # 60: the stream ends right after a full batch
        sink = ProbedSink()
        queue = filled_queue(count)
        sent = await call(
            120, shipper.send_batches(queue, sink, 10), what="send_batches(queue, sink, 10)"
        )
        expected = [f"line {n:04d}" for n in range(count)]
        assert sink.lines == expected, (
            f"send_batches(queue, sink, 10) with {count} lines queued sent {len(sink.lines)} "
            f"lines in batches of {sink.sizes}; expected all {count}, in queue order."
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
    """ship_logs returns only after every line was sent, in order, in batches."""
    sink = ProbedSink()
    source = ProbedSource(103, sink)
    sent = await call(
        600,
        shipper.ship_logs(source, sink, max_pending=20, batch_size=10),
        what="ship_logs(source, sink, max_pending=20, batch_size=10)",
    )
    assert sink.lines == source.lines and sent == 103, (
        f"ship_logs(source, sink, max_pending=20, batch_size=10) with 103 lines sent "
        f"{len(sink.lines)} lines (batches of {sink.sizes}) and returned {sent!r}; expected "
        "all 103 in order, and 103."
    )
    assert sink.finished == 103, (
        f"ship_logs returned when the collector had finished {sink.finished} of 103 lines; "
        "return only once the sender has sent the last batch."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_ship_logs_keeps_the_backlog_bounded() -> None:
    """A fast source is held back: never more than max_pending + batch_size lines are waiting."""
    sink = ProbedSink()
    source = ProbedSource(300, sink)
    await call(
        600,
        shipper.ship_logs(source, sink, max_pending=20, batch_size=5),
        what="ship_logs(source, sink, max_pending=20, batch_size=5)",
    )
    assert source.worst_backlog <= 25, (
        f"ship_logs(source, sink, max_pending=20, batch_size=5) had up to "
        f"{source.worst_backlog} lines pulled from the source but not yet sent; expected at "
        "most 25 (20 queued + 5 in a batch). Bound the queue, `asyncio.Queue(maxsize="
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
