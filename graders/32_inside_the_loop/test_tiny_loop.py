"""Grades exercises/32_inside_the_loop/tiny_loop.py: a future, a task and a loop of the
learner's own, with a virtual clock.

Steps 1 and 2 are graded on the grader's own stand-in loop, which only records what is
scheduled with `call_soon` and runs it when the test says so: a future or task that calls
back inline, or starts too early, is seen at that moment. Step 3 uses the learner's Loop.
These tests need no asyncio: the learner's loop is the only one.

Requirements:
- 1: result() while pending raises InvalidStateError -> test_result_while_pending_raises_invalid_state
- 1: a future is completed once only -> test_a_future_is_completed_once_only
- 1: result() gives the value or raises the exception -> test_result_gives_the_value_or_raises_the_error
- 1: a future can hold any value, even one equal to everything -> test_a_future_holds_any_value
- 1: done callbacks are scheduled with call_soon, never called inline, also when already done -> test_done_callbacks_are_scheduled_not_called
- 1: __await__ yields the pending future, then returns its result -> test_await_yields_the_future_then_returns_its_result
- 2: the coroutine starts at the next turn, not in Task() -> test_task_starts_at_the_next_turn
- 2: the task resumes with the awaited future's value, and completes with the return value -> test_task_resumes_with_the_value_and_returns
- 2: an awaited future's error is raised at the coroutine's await -> test_awaited_error_is_raised_in_the_coroutine
- 2: an uncaught error fails the task -> test_uncaught_error_fails_the_task
- 2: yielding a non-Future fails the task with RuntimeError -> test_yielding_something_else_fails_the_task
- 2: a task can be awaited like a future -> test_a_task_can_await_another
- 3: call_soon is first in, first out -> test_call_soon_is_first_in_first_out
- 3: call_later by due time, ties in the order scheduled, at that loop time -> test_call_later_runs_by_due_time_ties_in_order
- 3: short and zero delays are exact; a negative delay counts as 0, the clock never goes back -> test_short_zero_and_negative_delays
- 3: every timer due at a time runs in the same turn, before what they schedule -> test_timers_due_together_run_in_one_turn
- 3: due timers join every turn, even while callbacks keep the ready queue busy -> test_due_timers_are_not_starved_by_busy_callbacks
- 3: the clock jumps to the next timer (virtual time, no real waiting) -> test_the_clock_jumps_to_the_next_timer
- 3: sleeps in concurrent tasks overlap -> test_concurrent_sleeps_overlap
- 3: run_until_complete returns the result or raises the error -> test_run_until_complete_returns_or_raises
- 3: nothing left to run raises RuntimeError -> test_nothing_left_to_run_raises_runtime_error
- checks: no coroutine left un-awaited -> test_task_resumes_with_the_value_and_returns
"""

from __future__ import annotations

import time
import unittest.mock
from collections.abc import Callable, Generator
from typing import Any

import pytest

from katagrader import learner_module

tl = learner_module("tiny_loop")


class StandInLoop:
    """Records call_soon(); `turn()` runs what was scheduled before it started."""

    def __init__(self) -> None:
        self.scheduled: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        self.scheduled.append((callback, args))

    def turn(self) -> None:
        batch, self.scheduled = self.scheduled, []
        for callback, args in batch:
            callback(*args)

    def run(self, turns: int = 50) -> None:
        for _ in range(turns):
            if not self.scheduled:
                return
            self.turn()


def new_future(loop: Any) -> Any:
    return tl.Future(loop)


def start(coro: Any, loop: Any) -> Any:
    """tl.Task(coro, loop); if that raises (a step not written yet), the coroutine is closed
    so that it is not also reported as never awaited."""
    try:
        return tl.Task(coro, loop)
    except BaseException:
        coro.close()
        raise


def raises_runtime_error(call: Callable[[], Any]) -> bool:
    """Whether call() raises RuntimeError; NotImplementedError (a RuntimeError subclass:
    a step not written yet) is raised as it is."""
    try:
        call()
    except NotImplementedError:
        raise
    except RuntimeError:
        return True
    return False


# Step 1 --------------------------------------------------------------------------------


@pytest.mark.task(1)
def test_result_while_pending_raises_invalid_state() -> None:
    """result() on a pending future raises InvalidStateError; done() is False."""
    future = new_future(StandInLoop())
    assert future.done() is False, "a new future says done() is True; expected False."
    with pytest.raises(tl.InvalidStateError):
        value = future.result()
        pytest.fail(
            f"result() on a pending future returned {value!r}; expected InvalidStateError: "
            "there is no value yet (returning None would hide the bug)."
        )


@pytest.mark.task(1)
def test_a_future_is_completed_once_only() -> None:
    """A second set_result() or set_exception() raises InvalidStateError and changes nothing."""
    future = new_future(StandInLoop())
    future.set_result(1)
    seconds: list[Callable[[], Any]] = [
        lambda: future.set_result(2),
        lambda: future.set_exception(ValueError()),
    ]
    for second in seconds:
        try:
            second()
        except tl.InvalidStateError:
            continue
        pytest.fail("completing a done future again did not raise InvalidStateError.")
    assert future.result() == 1, (
        f"after a refused second set, result() is {future.result()!r}; expected 1."
    )


@pytest.mark.task(1)
def test_result_gives_the_value_or_raises_the_error() -> None:
    """result() returns what set_result() gave, or raises what set_exception() gave."""
    loop = StandInLoop()
    good, bad = new_future(loop), new_future(loop)
    good.set_result("value")
    bad.set_exception(KeyError("missing"))
    assert good.done() and bad.done(), "a completed future says done() is False."
    assert good.result() == "value", f"result() gave {good.result()!r}; expected 'value'."
    with pytest.raises(KeyError):
        bad.result()


@pytest.mark.task(1)
def test_a_future_holds_any_value() -> None:
    """A future whose value claims to equal everything (mock.ANY) is still done, with that
    value: test 'pending' by identity (`is`), not by equality."""
    future = new_future(StandInLoop())
    future.set_result(unittest.mock.ANY)
    assert future.done() and future.result() is unittest.mock.ANY, (
        "a future given unittest.mock.ANY (equal to everything) as its result reports "
        f"done()={future.done()}; expected done, with that value: compare with the pending "
        "marker using `is`, never `==` (a value's __eq__ may say anything)."
    )


@pytest.mark.task(1)
def test_done_callbacks_are_scheduled_not_called() -> None:
    """Callbacks are handed to loop.call_soon(callback, future) when the future completes,
    in the order they were added, and at once when added to a done future; never called
    inline."""
    loop = StandInLoop()
    future = new_future(loop)
    seen: list[str] = []
    future.add_done_callback(lambda f: seen.append("first"))
    future.add_done_callback(lambda f: seen.append("second"))
    assert not loop.scheduled, "add_done_callback on a pending future scheduled something already."
    future.set_result(1)
    assert seen == [], (
        f"set_result() called the done callbacks itself ({seen}); expected them scheduled "
        "with loop.call_soon(callback, future) and run by the loop later."
    )
    assert [args for _cb, args in loop.scheduled] == [(future,), (future,)], (
        f"set_result() scheduled {loop.scheduled}; expected two call_soon(callback, future)."
    )
    loop.turn()
    assert seen == ["first", "second"], f"the callbacks ran as {seen}; expected in the order added."
    future.add_done_callback(lambda f: seen.append("late"))
    assert seen == ["first", "second"] and len(loop.scheduled) == 1, (
        "a callback added to a done future must be scheduled with call_soon at once (not "
        f"called inline, not forgotten); got {seen} and {len(loop.scheduled)} scheduled."
    )


@pytest.mark.task(1)
def test_await_yields_the_future_then_returns_its_result() -> None:
    """`__await__` yields the pending future itself; resumed once it is done, it returns the
    result (or raises the error); on a done future it returns at once."""
    future: Any = new_future(StandInLoop())
    steps = future.__await__()
    first: object
    try:
        first = next(steps, "<returned without yielding>")
    except tl.InvalidStateError:
        first = "<asked for the result at once: InvalidStateError>"
    yielded_itself = first is future
    assert yielded_itself, (
        f"__await__() of a pending future first gave {first!r}; expected it to yield the "
        "future itself (`yield self`), handing it up to the task driving the coroutine."
    )
    future.set_result(7)
    with pytest.raises(StopIteration) as stop:
        steps.send(None)
    assert stop.value.value == 7, (
        f"__await__ returned {stop.value.value!r} once resumed; expected 7."
    )
    done = new_future(StandInLoop())
    done.set_result("now")
    with pytest.raises(StopIteration) as stop:
        next(done.__await__())
    assert stop.value.value == "now", (
        "awaiting a done future must return its result without yielding."
    )
    failed = new_future(StandInLoop())
    failed.set_exception(KeyError("gone"))
    try:
        next(failed.__await__())
    except KeyError:
        pass
    except StopIteration as returned:
        pytest.fail(
            f"awaiting a future that failed with KeyError returned {returned.value!r}; "
            "expected the KeyError raised: return `self.result()`, which raises it."
        )
    else:
        pytest.fail("awaiting a future that already failed yielded instead of raising its error.")


# Step 2 --------------------------------------------------------------------------------


@pytest.mark.task(2)
def test_task_starts_at_the_next_turn() -> None:
    """Task(coro, loop) only schedules the first step; the coroutine runs at the next turn."""
    loop = StandInLoop()
    ran: list[str] = []

    async def body() -> str:
        ran.append("started")
        return "done"

    task = start(body(), loop)
    assert ran == [], (
        "Task() ran the coroutine at once; expected only its first step scheduled (call_soon)."
    )
    assert len(loop.scheduled) == 1, (
        f"Task() scheduled {len(loop.scheduled)} callbacks; expected 1, its first step."
    )
    loop.run()
    assert ran == ["started"] and task.result() == "done", (
        f"after the loop ran, the coroutine had run {ran} and the task's result was "
        f"{task.result() if task.done() else '<pending>'!r}; expected it to run once and give 'done'."
    )


@pytest.mark.task(2)
def test_task_resumes_with_the_value_and_returns() -> None:
    """The coroutine waits on a future; set later, its value comes back from `await`."""
    loop = StandInLoop()
    gate = new_future(loop)

    async def body() -> str:
        value = await gate
        return f"got {value}"

    task = start(body(), loop)
    loop.run()
    assert not task.done(), "the task finished while the future it awaits was still pending."
    gate.set_result(42)
    loop.run()
    assert task.done() and task.result() == "got 42", (
        f"after the awaited future got 42, the task was {'done' if task.done() else 'pending'}"
        + (f" with {task.result()!r}" if task.done() else "")
        + "; expected 'got 42': wait with future.add_done_callback(...), then send() its value."
    )


@pytest.mark.task(2)
def test_awaited_error_is_raised_in_the_coroutine() -> None:
    """An awaited future's exception is raised at the `await`, where the coroutine can catch it."""
    loop = StandInLoop()
    gate = new_future(loop)

    async def body() -> str:
        try:
            await gate
        except KeyError as exc:
            return f"caught {exc.args[0]}"
        return "no error seen"

    task = start(body(), loop)
    loop.run()
    gate.set_exception(KeyError("k"))
    loop.run()
    outcome = task.result() if task.done() else "<pending>"
    assert outcome == "caught k", (
        f"with the awaited future failing with KeyError('k'), the coroutine gave {outcome!r}; "
        "expected 'caught k': resume the coroutine with coro.throw(error), not send()."
    )


@pytest.mark.task(2)
def test_uncaught_error_fails_the_task() -> None:
    """A coroutine that raises completes its task with that exception."""
    loop = StandInLoop()

    async def body() -> None:
        raise LookupError("nope")

    task = start(body(), loop)
    loop.run()
    assert task.done(), "the coroutine raised, but its task never completed."
    with pytest.raises(LookupError):
        task.result()


class BadAwaitable:
    def __await__(self) -> Generator[Any, None, None]:
        yield 42


@pytest.mark.task(2)
def test_yielding_something_else_fails_the_task() -> None:
    """A coroutine that yields something other than a Future fails its task with RuntimeError."""
    loop = StandInLoop()

    async def body() -> None:
        await BadAwaitable()

    task = start(body(), loop)
    loop.run()
    assert task.done(), (
        "the coroutine yielded 42 (not a Future) and its task never completed: nothing will "
        "ever wake it. Fail the task with RuntimeError instead."
    )
    assert raises_runtime_error(task.result), (
        "the coroutine yielded 42; its task should have failed with RuntimeError."
    )


@pytest.mark.task(2)
def test_a_task_can_await_another() -> None:
    """A Task is a Future: another task can await it and get its result."""
    loop = StandInLoop()
    gate = new_future(loop)

    async def inner() -> Any:
        return await gate * 2

    async def outer() -> Any:
        return await start(inner(), loop) + 1

    task = start(outer(), loop)
    loop.run()
    gate.set_result(20)
    loop.run()
    assert task.done() and task.result() == 41, (
        f"a task awaiting a task awaiting a future gave "
        f"{task.result() if task.done() else '<pending>'!r}; expected 41."
    )


# Step 3 --------------------------------------------------------------------------------


@pytest.mark.task(3)
def test_call_soon_is_first_in_first_out() -> None:
    """Callbacks scheduled with call_soon run in the order scheduled."""
    loop = tl.Loop()
    order: list[int] = []

    async def body() -> None:
        for n in range(5):
            loop.call_soon(order.append, n)
        await loop.sleep(0)

    loop.run_until_complete(body())
    assert order == [0, 1, 2, 3, 4], (
        f"call_soon callbacks ran as {order}; expected [0, 1, 2, 3, 4]."
    )


@pytest.mark.task(3)
def test_call_later_runs_by_due_time_ties_in_order() -> None:
    """Timers run by due time, equal times in the order scheduled, each at its loop time."""
    loop = tl.Loop()
    runs: list[tuple[str, float]] = []

    def note(name: str) -> None:
        runs.append((name, loop.time()))

    async def body() -> None:
        # Ties named out of alphabetical order: a heap that falls through to comparing
        # the arguments would sort them by name.
        for delay, name in [(3, "z"), (1, "m"), (2, "q"), (1, "b"), (1, "k")]:
            loop.call_later(delay, note, name)
        await loop.sleep(5)

    try:
        loop.run_until_complete(body())
    except TypeError as exc:
        pytest.fail(
            f"timers due at the same time raised TypeError ({exc}): the heap compared two "
            "callbacks. Put a sequence number before the callback in each entry."
        )
    expected = [("m", 1.0), ("b", 1.0), ("k", 1.0), ("q", 2.0), ("z", 3.0)]
    assert runs == expected, (
        f"timers ran as {runs}; expected {expected}: by due time, ties first scheduled first, "
        "each when the loop's clock reads its time."
    )


@pytest.mark.task(3)
def test_short_zero_and_negative_delays() -> None:
    """Delays of 0.25 and 0 s are kept exactly; a negative delay counts as 0: the clock
    never goes back."""
    loop = tl.Loop()
    runs: list[tuple[str, float]] = []

    def note(name: str) -> None:
        runs.append((name, loop.time()))

    async def body() -> None:
        await loop.sleep(5)
        loop.call_later(0.25, note, "quarter")
        loop.call_later(0, note, "zero")
        loop.call_later(-1, note, "negative")
        await loop.sleep(1)

    loop.run_until_complete(body())
    expected = [("zero", 5.0), ("negative", 5.0), ("quarter", 5.25)]
    assert runs == expected, (
        f"at loop time 5, timers of 0.25, 0 and -1 s ran as {runs}; expected {expected}: a "
        "delay is added to now, a negative one counts as 0 (max(0, delay)), and jumping to "
        "the next timer never moves the clock back."
    )


@pytest.mark.task(3)
def test_timers_due_together_run_in_one_turn() -> None:
    """Two timers due at 1 s both run in that turn, before a callback the first one
    schedules with call_soon."""
    loop = tl.Loop()
    order: list[str] = []

    def first() -> None:
        order.append("first timer")
        loop.call_soon(order.append, "scheduled by the first")

    async def body() -> None:
        loop.call_later(1, first)
        loop.call_later(1, order.append, "second timer")
        await loop.sleep(2)

    loop.run_until_complete(body())
    expected = ["first timer", "second timer", "scheduled by the first"]
    assert order == expected, (
        f"two timers due at 1 s, the first scheduling a callback, ran as {order}; expected "
        f"{expected}: move every timer that is due (`when <= now`) to the ready queue before "
        "running the turn."
    )


@pytest.mark.task(3)
def test_due_timers_are_not_starved_by_busy_callbacks() -> None:
    """A callback that keeps rescheduling itself (100 times) does not hold back a timer due
    now: it runs within the first few turns, not after the chain."""
    loop = tl.Loop()
    order: list[str] = []
    done: Any = tl.Future(loop)

    def chain(n: int) -> None:
        order.append("chain")
        if n:
            loop.call_soon(chain, n - 1)
        else:
            done.set_result(None)

    async def body() -> None:
        loop.call_later(0, order.append, "timer")
        loop.call_soon(chain, 100)
        await done

    loop.run_until_complete(body())
    position = order.index("timer") if "timer" in order else len(order)
    assert position <= 3, (
        f"a timer due now ran after {position} rounds of a callback that keeps the ready "
        "queue busy; expected within the first few turns: move the due timers to the ready "
        "queue at every turn, not only when it is empty."
    )


@pytest.mark.task(3)
@pytest.mark.timeout(3)
def test_the_clock_jumps_to_the_next_timer() -> None:
    """sleep(30) ends at loop time 30 at once (the test allows 3 s of real time): the clock
    is virtual."""
    loop = tl.Loop()

    async def body() -> Any:
        await loop.sleep(30)
        return loop.time()

    started = time.monotonic()
    at = loop.run_until_complete(body())
    real = time.monotonic() - started
    assert at == 30.0 and real < 5, (
        f"sleep(30) ended at loop time {at!r} after {real:.2f} s of real time; expected loop "
        "time 30.0 at once: when nothing is ready, set the clock to the next timer's time "
        "instead of waiting for it."
    )


@pytest.mark.task(3)
def test_concurrent_sleeps_overlap() -> None:
    """Tasks sleeping 2 and 3 s together end at loop time 3, not 5."""
    loop = tl.Loop()

    async def nap(seconds: float) -> Any:
        await loop.sleep(seconds)
        return loop.time()

    async def both() -> list[float]:
        a, b = loop.create_task(nap(2)), loop.create_task(nap(3))
        return [await a, await b]

    got = loop.run_until_complete(both())
    assert got == [2.0, 3.0] and loop.time() == 3.0, (
        f"two tasks sleeping 2 s and 3 s ended at {got}, the loop at {loop.time()}; expected "
        "[2.0, 3.0] and 3.0: both wait at the same time."
    )


@pytest.mark.task(3)
def test_run_until_complete_returns_or_raises() -> None:
    """run_until_complete returns the coroutine's result, or raises its error."""

    async def good() -> str:
        return "fine"

    async def bad() -> None:
        raise ZeroDivisionError("boom")

    assert tl.Loop().run_until_complete(good()) == "fine"
    with pytest.raises(ZeroDivisionError):
        tl.Loop().run_until_complete(bad())


@pytest.mark.task(3)
@pytest.mark.timeout(3)
def test_nothing_left_to_run_raises_runtime_error() -> None:
    """Waiting on a future nobody will complete, with nothing else to run: RuntimeError."""
    loop = tl.Loop()

    async def stuck() -> None:
        await tl.Future(loop)

    coro = stuck()
    try:
        refused = raises_runtime_error(lambda: loop.run_until_complete(coro))
    finally:
        coro.close()
    assert refused, (
        "run_until_complete(stuck()) returned although the coroutine waits on a future "
        "nobody completes; expected RuntimeError once nothing is left to run."
    )
