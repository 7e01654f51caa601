"""Sync <-> async bridge: an async client used from synchronous code, two ways.

Plenty of code is synchronous (a CLI, a WSGI view, a test written without asyncio) and
still needs an async library. `asyncio.run()` per call is the naive answer, and it is
wrong for a client: each call gets a new event loop, so the client's connection (bound to
the loop it was opened on) breaks, and nothing set in one call's context survives to the
next.

1. `SyncInventory(client)`: a synchronous facade over an async client, on one
   `asyncio.Runner` reused by every call (one loop, one context); `close()` closes the
   client on that loop, then the runner; usable as `with SyncInventory(client) as inv:`.
2. `LoopThread`: an event loop running in a background thread, as a portal that any
   thread can call into: `start()`, `call(coro_fn, *args, timeout=None)` (run it on the
   loop with `asyncio.run_coroutine_threadsafe` and wait for the result; on timeout cancel
   it and raise `TimeoutError`), `stop()` (cancel what is left, stop the loop, join the
   thread, close the loop: no thread left behind).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future as ThreadFuture
from types import TracebackType
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

# Who is logged in, for this client session: set by login(), read by whoami().
CURRENT_USER: contextvars.ContextVar[str | None] = contextvars.ContextVar("user", default=None)


class AsyncClient(Protocol):
    async def login(self, user: str) -> None: ...

    async def whoami(self) -> str | None: ...

    async def lookup(self, sku: str) -> int: ...

    async def aclose(self) -> None: ...


class FakeInventoryClient:
    """An async client whose connection belongs to the loop it was first used on."""

    def __init__(self, stock: dict[str, int] | None = None) -> None:
        self.stock = stock if stock is not None else {"mug": 3, "tee": 0}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.closed = False

    def _connection(self) -> None:
        loop = asyncio.get_running_loop()
        if self.closed:
            raise RuntimeError("the client is closed")
        if self.loop is None:
            self.loop = loop  # "opens a connection" on this loop
        elif self.loop is not loop:
            raise RuntimeError("this client's connection belongs to another event loop")

    async def login(self, user: str) -> None:
        self._connection()
        await asyncio.sleep(0)
        CURRENT_USER.set(user)

    async def whoami(self) -> str | None:
        self._connection()
        await asyncio.sleep(0)
        return CURRENT_USER.get()

    async def lookup(self, sku: str) -> int:
        self._connection()
        await asyncio.sleep(0.01)
        return self.stock[sku]

    async def aclose(self) -> None:
        self.closed = True


class SyncInventory:
    """The async client, callable from synchronous code."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client
        # One Runner for the facade's whole life: every run() uses the same event loop
        # (the client's connection stays valid) and the same contextvars.Context (what
        # one call sets, the next one sees). asyncio.run() would create both anew per call.
        self._runner = asyncio.Runner()

    def login(self, user: str) -> None:
        """Log in; later calls run as that user."""
        self._runner.run(self._client.login(user))

    def whoami(self) -> str | None:
        """The user logged in by an earlier call, or None."""
        return self._runner.run(self._client.whoami())

    def lookup(self, sku: str) -> int:
        """How many `sku` are in stock.

        Raises:
            KeyError: unknown sku (the client's own error, unchanged).
            RuntimeError: the facade is closed.

        Example:
            >>> with SyncInventory(FakeInventoryClient()) as inventory:
            ...     inventory.lookup("mug")
            3
        """
        return self._runner.run(self._client.lookup(sku))

    def close(self) -> None:
        """Close the client on its own loop, then the runner (which closes the loop)."""
        try:
            self._runner.run(self._client.aclose())
        finally:
            # close() cancels tasks still pending, finalizes async generators, shuts the
            # default executor down and closes the loop; a later run() raises RuntimeError.
            self._runner.close()

    def __enter__(self) -> SyncInventory:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class LoopThread:
    """An event loop in a thread of its own, that other threads submit coroutines to."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the loop thread is not started")
        return self._loop

    def start(self) -> None:
        """Start the loop in a new thread; return once it is running."""
        loop = asyncio.new_event_loop()
        running = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(running.set)  # runs once run_forever() has started
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="loop-thread")
        self._thread.start()
        running.wait()

    def call(
        self, coro_fn: Callable[..., Awaitable[T]], *args: Any, timeout: float | None = None
    ) -> T:
        """Run `coro_fn(*args)` on the loop thread and wait for its result.

        Args:
            coro_fn: an async function.
            args: its arguments.
            timeout: the longest wait, in seconds (None: no limit).

        Returns:
            What the coroutine returned.

        Raises:
            TimeoutError: it did not finish within `timeout`; it has been cancelled.
            Whatever the coroutine raised.
        """

        async def job() -> T:
            return await coro_fn(*args)

        # The coroutine must be created and run by the loop's thread:
        # run_coroutine_threadsafe hands it over with call_soon_threadsafe (a plain
        # call_soon from another thread would not wake the loop) and gives back a
        # concurrent.futures.Future that this thread can block on.
        future: ThreadFuture[T] = asyncio.run_coroutine_threadsafe(job(), self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            # Cancelling this future cancels the task on the loop: nothing keeps running
            # for a caller that gave up.
            future.cancel()
            raise

    def stop(self) -> None:
        """Cancel what still runs on the loop, stop it, join its thread and close it."""
        if self._loop is None or self._thread is None:
            return
        loop = self._loop

        async def cancel_the_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(cancel_the_rest(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join()
        # Only once the loop no longer runs may it be closed (closing frees its selector).
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        self._loop = None
        self._thread = None

    def __enter__(self) -> LoopThread:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    with SyncInventory(FakeInventoryClient()) as inventory:
        inventory.login("ada")
        print("as", inventory.whoami(), "mugs:", inventory.lookup("mug"))
    with LoopThread() as portal:
        print("from a thread:", portal.call(asyncio.sleep, 0.01, "done"))


if __name__ == "__main__":
    main()
