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
from concurrent.futures import Future as ThreadFuture  # noqa: F401 (for step 2)
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
        # TODO: step 1
        raise NotImplementedError("Step 1: keep the client and one asyncio.Runner for every call.")

    def login(self, user: str) -> None:
        """Log in; later calls run as that user."""
        # TODO: step 1
        raise NotImplementedError("Step 1: run the client's login on the runner.")

    def whoami(self) -> str | None:
        """The user logged in by an earlier call, or None."""
        # TODO: step 1
        raise NotImplementedError("Step 1: run the client's whoami on the runner.")

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
        # TODO: step 1
        raise NotImplementedError("Step 1: run the client's lookup on the runner.")

    def close(self) -> None:
        """Close the client on its own loop, then the runner (which closes the loop)."""
        # TODO: step 1
        raise NotImplementedError("Step 1: close the client on the runner, then the runner.")

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
        # TODO: step 2
        raise NotImplementedError(
            "Step 2: a new loop, run_forever in a thread; return once it runs."
        )

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
        # TODO: step 2
        raise NotImplementedError(
            "Step 2: run_coroutine_threadsafe, wait with a timeout, cancel on timeout."
        )

    def stop(self) -> None:
        """Cancel what still runs on the loop, stop it, join its thread and close it."""
        # TODO: step 2
        raise NotImplementedError(
            "Step 2: cancel the rest, stop the loop, join the thread, close the loop."
        )

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
