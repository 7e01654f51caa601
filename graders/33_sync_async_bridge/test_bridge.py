"""Grades exercises/33_sync_async_bridge/bridge.py: an async client behind a synchronous
facade on one asyncio.Runner, and an event loop in a thread as a portal for other threads.

These tests are plain synchronous functions, like the code the kata is for: no event loop
runs in the test's thread. The grader's client records the loop and the context of every
call; its coroutines for the portal record the thread they ran on and their cancellation.
Threads are real here, so the only waits are generous upper bounds on failure paths.

Requirements:
- 1: every call runs on one and the same event loop -> test_every_call_runs_on_one_loop
- 1: results and the client's errors come back unchanged -> test_results_and_errors_come_back
- 1: the context is kept from one call to the next -> test_context_is_kept_between_calls
- 1: close() closes the client on its loop, then the loop; later calls raise RuntimeError -> test_close_closes_the_client_then_the_loop
- 1: `with` closes it, also when the block raises -> test_with_block_closes_even_on_error
- 2: start() returns once the loop runs -> test_start_returns_once_the_loop_runs
- 2: a call runs on the loop's thread and returns its result -> test_call_runs_on_the_loop_thread
- 2: calls from several threads run concurrently on the loop -> test_calls_from_several_threads_overlap
- 2: the coroutine's error reaches the caller -> test_errors_reach_the_calling_thread
- 2: a timed-out call raises TimeoutError and its coroutine is cancelled -> test_timeout_cancels_the_coroutine
- 2: stop() cancels what still runs, joins the thread and closes the loop -> test_stop_leaves_nothing_behind
- checks: no thread left running -> test_stop_leaves_nothing_behind, test_calls_from_several_threads_overlap
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from katagrader import learner_module

bridge = learner_module("bridge")

SESSION: contextvars.ContextVar[str | None] = contextvars.ContextVar("grader_session", default=None)


class ProbedClient:
    """An async client that notes the loop of every call and refuses a second loop."""

    def __init__(self) -> None:
        self.loops: list[asyncio.AbstractEventLoop] = []
        self.closed_on: asyncio.AbstractEventLoop | None = None
        self.calls_after_close = 0

    def _note(self) -> None:
        loop = asyncio.get_running_loop()
        if self.closed_on is not None:
            self.calls_after_close += 1
        self.loops.append(loop)

    async def login(self, user: str) -> None:
        self._note()
        await asyncio.sleep(0)
        SESSION.set(user)

    async def whoami(self) -> str | None:
        self._note()
        await asyncio.sleep(0)
        return SESSION.get()

    async def lookup(self, sku: str) -> int:
        self._note()
        await asyncio.sleep(0.001)
        if sku == "unknown":
            raise KeyError(sku)
        return len(sku)

    async def aclose(self) -> None:
        self._note()
        self.closed_on = asyncio.get_running_loop()


@contextmanager
def facade(client: ProbedClient) -> Iterator[Any]:
    """The learner's SyncInventory, closed afterwards whatever the test found."""
    inventory = bridge.SyncInventory(client)
    try:
        yield inventory
    finally:
        try:
            inventory.close()
        except (RuntimeError, NotImplementedError):
            pass


# Step 1 --------------------------------------------------------------------------------


@pytest.mark.task(1)
def test_every_call_runs_on_one_loop() -> None:
    """Three calls through the facade run on the same event loop."""
    client = ProbedClient()
    with facade(client) as inventory:
        for sku in ("mug", "tee", "cap"):
            inventory.lookup(sku)
        loops = {id(loop) for loop in client.loops}
    assert len(client.loops) >= 3 and len(loops) == 1, (
        f"three lookups ran on {len(loops)} different event loops; expected one: a client's "
        "connection belongs to the loop it was opened on. asyncio.run() creates a new loop "
        "per call; keep one asyncio.Runner and call runner.run(...) every time."
    )


@pytest.mark.task(1)
def test_results_and_errors_come_back() -> None:
    """lookup returns the client's answer, and the client's KeyError comes out unchanged."""
    with facade(ProbedClient()) as inventory:
        got = inventory.lookup("mug")
        assert got == 3, f"lookup('mug') returned {got!r}; expected the client's answer, 3."
        with pytest.raises(KeyError):
            inventory.lookup("unknown")


@pytest.mark.task(1)
def test_context_is_kept_between_calls() -> None:
    """What login() sets in a context variable, a later whoami() sees."""
    with facade(ProbedClient()) as inventory:
        inventory.login("ada")
        who = inventory.whoami()
    assert who == "ada", (
        f"after login('ada'), whoami() saw {who!r}; expected 'ada'. Each asyncio.run() (or a "
        "new Runner) runs in a fresh copy of the context; one Runner runs every call in its "
        "own context, so what one call sets, the next one sees."
    )


@pytest.mark.task(1)
def test_close_closes_the_client_then_the_loop() -> None:
    """close() runs client.aclose() on the facade's loop, then closes that loop; a call
    after close() raises RuntimeError."""
    client = ProbedClient()
    inventory = bridge.SyncInventory(client)
    inventory.lookup("mug")
    inventory.close()
    first_loop = client.loops[0]
    assert client.closed_on is first_loop, (
        "close() did not run the client's aclose() on the facade's loop "
        + ("(it was never called)." if client.closed_on is None else "(it ran on another loop).")
    )
    assert first_loop.is_closed(), (
        "after close(), the facade's event loop is still open: close the Runner "
        "(runner.close()) after closing the client."
    )
    refused = False
    # A closed Runner refuses the coroutine it is handed, which was created all the same
    # and is never awaited: that warning is expected here, not the learner's leak.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            inventory.lookup("mug")
        except NotImplementedError:
            raise
        except RuntimeError:
            refused = True
        gc.collect()
    assert refused, "lookup() after close() did not raise RuntimeError: the runner must be closed."


@pytest.mark.task(1)
def test_with_block_closes_even_on_error() -> None:
    """`with SyncInventory(client) as inv:` closes client and loop, also when the block raises."""
    client = ProbedClient()
    with pytest.raises(ZeroDivisionError):
        with bridge.SyncInventory(client) as inventory:
            inventory.lookup("mug")
            raise ZeroDivisionError("the caller's own error")
    assert client.closed_on is not None and client.closed_on.is_closed(), (
        "leaving the `with` block by an exception did not close the client and its loop: "
        "__exit__ must call close() whatever happened."
    )


# Step 2 --------------------------------------------------------------------------------


@contextmanager
def portal() -> Iterator[Any]:
    """The learner's LoopThread, started, and stopped afterwards whatever happened."""
    thread = bridge.LoopThread()
    thread.start()
    try:
        yield thread
    finally:
        try:
            thread.stop()
        except NotImplementedError:
            pass


async def where_am_i(value: str) -> tuple[str, str, bool]:
    loop = asyncio.get_running_loop()
    return value, threading.current_thread().name, loop.is_running()


class SlowStartingLoop(asyncio.SelectorEventLoop):
    """A loop that takes 0.3 s to get going in its thread, as a loop with work to set up
    does: code that returns from start() without waiting for it shows."""

    def run_forever(self) -> None:
        time.sleep(0.3)
        super().run_forever()


@pytest.mark.task(2)
def test_start_returns_once_the_loop_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """start() returns only once the loop is running in its thread (a loop that takes 0.3 s
    to start is waited for)."""
    monkeypatch.setattr(asyncio, "new_event_loop", SlowStartingLoop)
    with portal() as loop_thread:
        running = loop_thread.loop.is_running()
    assert running, (
        "right after start() returned, the loop was not running yet: wait until it runs "
        "(a threading.Event set by a callback scheduled before run_forever())."
    )


@pytest.mark.task(2)
def test_call_runs_on_the_loop_thread() -> None:
    """call(coro_fn, *args) runs the coroutine on the loop's own thread and returns its result."""
    with portal() as loop_thread:
        value, thread_name, running = loop_thread.call(where_am_i, "hello", timeout=5)
    assert value == "hello", f"call(where_am_i, 'hello') returned {value!r}; expected 'hello'."
    assert thread_name != threading.current_thread().name and running, (
        f"the coroutine ran on thread {thread_name!r}, the caller's being "
        f"{threading.current_thread().name!r}; expected the loop thread's: hand it over with "
        "asyncio.run_coroutine_threadsafe(coro, loop)."
    )


@pytest.mark.task(2)
def test_calls_from_several_threads_overlap() -> None:
    """Four threads calling at once all have their coroutines running on the loop together
    (each waits at a barrier of four)."""
    outcomes: list[str] = []
    errors: list[BaseException] = []
    with portal() as loop_thread:
        barrier_box: list[asyncio.Barrier] = []

        async def make_barrier() -> None:
            barrier_box.append(asyncio.Barrier(4))

        loop_thread.call(make_barrier, timeout=5)

        async def meet(n: int) -> str:
            # Generous for a loop that runs the four together (milliseconds), short enough
            # that four calls made one after another fail well within the test's limit.
            async with asyncio.timeout(2):
                await barrier_box[0].wait()
            return f"caller {n}"

        def caller(n: int) -> None:
            try:
                outcomes.append(loop_thread.call(meet, n, timeout=4))
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=caller, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=15)
    assert sorted(outcomes) == [f"caller {n}" for n in range(4)] and not errors, (
        f"four threads calling at once got {sorted(outcomes)} and errors {errors!r}; expected "
        "all four coroutines on the loop together (each waits for the other three). Calls "
        "must not be serialised: never hold a lock while waiting for a result."
    )


@pytest.mark.task(2)
def test_errors_reach_the_calling_thread() -> None:
    """A coroutine's exception is raised in the thread that called it."""

    async def fails() -> None:
        raise PermissionError("not yours")

    with portal() as loop_thread, pytest.raises(PermissionError):
        loop_thread.call(fails, timeout=5)


@pytest.mark.task(2)
def test_timeout_cancels_the_coroutine() -> None:
    """call(..., timeout=0.2) of a coroutine that never ends raises TimeoutError, and the
    coroutine is cancelled on the loop."""
    cancelled = threading.Event()

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with portal() as loop_thread:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            loop_thread.call(forever, timeout=0.2)
        waited = time.monotonic() - started
        was_cancelled = cancelled.wait(timeout=5)
    assert waited < 5, (
        f"call(..., timeout=0.2) returned after {waited:.1f} s; expected about 0.2 s."
    )
    assert was_cancelled, (
        "after call(..., timeout=0.2) raised TimeoutError, the coroutine was still running on "
        "the loop: cancel it (future.cancel() on what run_coroutine_threadsafe returned)."
    )


@pytest.mark.task(2)
def test_stop_leaves_nothing_behind() -> None:
    """stop() cancels a coroutine still running on the loop, joins the thread and closes the loop."""
    cancelled = threading.Event()
    unwound = threading.Event()

    async def background() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            await asyncio.sleep(0.05)  # its cleanup takes a moment
            unwound.set()
            raise

    async def spawn() -> None:
        asyncio.get_running_loop().create_task(background())

    loop_thread = bridge.LoopThread()
    loop_thread.start()
    loop = None
    try:
        loop_thread.call(spawn, timeout=5)
        loop = loop_thread.loop
    finally:
        loop_thread.stop()
    assert cancelled.is_set(), (
        "stop() left a task running on the loop: cancel every task still pending (and wait "
        "for them) before stopping it."
    )
    assert unwound.is_set(), (
        "stop() cancelled the task still running on the loop but did not wait for it: its "
        "cleanup had not finished when stop() returned. Await the cancelled tasks "
        "(`await asyncio.gather(*tasks, return_exceptions=True)`) before stopping the loop."
    )
    assert loop is not None and loop.is_closed(), (
        "after stop(), the loop is not closed: once its thread has been joined, call "
        "loop.close(). (The engine's thread check reports a loop thread left running.)"
    )
