"""Inside the event loop: a tiny loop of your own, on futures, tasks and `__await__`.

asyncio is ordinary Python underneath. A coroutine is a generator-like object: `await x`
calls `x.__await__()` and passes on whatever that yields, up to whoever drives the
coroutine with `send()`. A task is that driver; a future is the thing it waits for; the
loop is a queue of callbacks and a heap of timers. This kata builds all three, with a
virtual clock.

1. `Future`: `done()`, `result()` (its value, its exception raised, or `InvalidStateError`
   while pending), `set_result()` / `set_exception()` (once only), `add_done_callback(fn)`:
   `fn(future)` is scheduled with `loop.call_soon` when the future is done (at once if it
   already is), never called inline; `__await__`: yield the future itself while pending,
   then return its result.
2. `Task(coro, loop)`: a future that drives `coro`: schedule its first step with
   `call_soon`; each step `send()`s the value (or `throw()`s the error) of the future the
   coroutine last yielded, and waits for the next one with `add_done_callback`; the
   coroutine's return value or exception completes the task. Yielding anything but a
   `Future` fails the task with `RuntimeError`.
3. `Loop`: `time()`, `call_soon(fn, *args)` (first in, first out), `call_later(delay, fn,
   *args)` (by due time, ties in the order scheduled), `create_task(coro)`,
   `sleep(delay)`, and `run_until_complete(coro)`: run ready callbacks; when none is ready,
   jump the clock to the next timer; return the coroutine's result or raise its error;
   raise `RuntimeError` if nothing is left to run before it is done.
"""

from __future__ import annotations

import heapq  # noqa: F401 (useful in step 3)
import itertools
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class InvalidStateError(Exception):
    """A future's result was asked for too early, or it was completed twice."""


_PENDING = object()


class Future(Generic[T]):
    """A value that will exist later, belonging to one `Loop`."""

    def __init__(self, loop: Loop) -> None:
        self._loop = loop
        self._result: Any = _PENDING
        self._exception: BaseException | None = None
        self._callbacks: list[Callable[[Future[T]], None]] = []

    def done(self) -> bool:
        """Whether a result or an exception has been set."""
        # TODO: step 1
        raise NotImplementedError("Step 1: whether a result or an exception was set.")

    def result(self) -> T:
        """The value; raises the exception that was set, or InvalidStateError while pending.

        Example:
            >>> loop = Loop(); f = Future(loop); f.set_result(3); f.result()
            3
        """
        # TODO: step 1
        raise NotImplementedError("Step 1: the value, the exception raised, or InvalidStateError.")

    def set_result(self, value: T) -> None:
        """Complete the future with `value` (once)."""
        # TODO: step 1
        raise NotImplementedError("Step 1: complete once; schedule the done callbacks.")

    def set_exception(self, exception: BaseException) -> None:
        """Complete the future with `exception` (once)."""
        # TODO: step 1
        raise NotImplementedError("Step 1: complete once with an error; schedule the callbacks.")

    def add_done_callback(self, callback: Callable[[Future[T]], None]) -> None:
        """Have `callback(future)` run on the loop once the future is done."""
        # TODO: step 1
        raise NotImplementedError("Step 1: keep the callback, or schedule it now if done.")

    def __await__(self) -> Generator[Future[T], None, T]:
        """What `await future` runs: yield the future while it is pending, then return its
        result (or raise its exception)."""
        # TODO: step 1
        raise NotImplementedError("Step 1: yield self while pending, then return the result.")


class Task(Future[T]):
    """Drives a coroutine on the loop; completes with what the coroutine returns."""

    def __init__(self, coro: Coroutine[Any, Any, T], loop: Loop) -> None:
        """Keep `coro` and schedule its first step on `loop` (it does not run yet)."""
        # TODO: step 2
        raise NotImplementedError("Step 2: keep the coroutine and schedule its first step.")

    def _step(self, value: Any, error: BaseException | None) -> None:
        """Run the coroutine to its next `yield`: send it `value`, or throw `error` in."""
        # TODO: step 2
        raise NotImplementedError(
            "Step 2: send() or throw() into the coroutine; wait on what it yields."
        )

    def _wakeup(self, future: Future[Any]) -> None:
        """The done callback of the awaited future: resume with its value or its error."""
        # TODO: step 2
        raise NotImplementedError("Step 2: resume the coroutine with the future's value or error.")


class Loop:
    """Ready callbacks, timers and a virtual clock that jumps to the next timer."""

    def __init__(self) -> None:
        self._now = 0.0
        self._ready: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._timers: list[tuple[float, int, Callable[..., Any], tuple[Any, ...]]] = []
        # Heap entries compare by due time, then by this counter: ties keep the order they
        # were scheduled in, and the callbacks themselves are never compared.
        self._order = itertools.count()

    def time(self) -> float:
        """The loop's clock (virtual seconds since it was created)."""
        return self._now

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run `callback(*args)` at the next turn, after the callbacks already scheduled."""
        # TODO: step 3
        raise NotImplementedError("Step 3: queue the callback for the next turn.")

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> None:
        """Run `callback(*args)` `delay` seconds from now (ties: in the order scheduled)."""
        # TODO: step 3
        raise NotImplementedError("Step 3: push a timer (due time, tie-breaker, callback, args).")

    def create_task(self, coro: Coroutine[Any, Any, T]) -> Task[T]:
        """Start running `coro` (from the next turn) and return its task."""
        # TODO: step 3
        raise NotImplementedError("Step 3: wrap the coroutine in a Task.")

    async def sleep(self, delay: float) -> None:
        """Wait `delay` seconds of the loop's clock."""
        # TODO: step 3
        raise NotImplementedError("Step 3: a future completed by a timer, awaited.")

    def run_until_complete(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run the loop until `coro` is done; return its result or raise its error.

        Raises:
            RuntimeError: nothing is left to run (no ready callback, no timer) while the
                coroutine still waits: it would wait forever.

        Example:
            >>> loop = Loop()
            >>> async def nap() -> float:
            ...     await loop.sleep(2)
            ...     return loop.time()
            >>> loop.run_until_complete(nap())
            2.0
        """
        # TODO: step 3
        raise NotImplementedError("Step 3: run callbacks, jump the clock, return or raise.")


def main() -> None:
    loop = Loop()

    async def worker(name: str, delay: float) -> str:
        await loop.sleep(delay)
        return f"{name} at {loop.time():g}"

    async def both() -> list[str]:
        a, b = loop.create_task(worker("a", 2)), loop.create_task(worker("b", 1))
        return [await a, await b]

    print(loop.run_until_complete(both()), "in", loop.time(), "virtual seconds")


if __name__ == "__main__":
    main()
