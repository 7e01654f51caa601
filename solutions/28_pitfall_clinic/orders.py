"""Pitfall clinic: an order service that works in a demo and carries six classic bugs.

`OrderService` accepts orders, renders invoices, shows an order page, confirms orders by
email, tells customers when their parcel ships and sends a weekly digest. Every method
"worked" when it was written, and six of them hide a classic asyncio mistake. Each one is
marked `# TODO`, shows the code as it was in a comment, and raises NotImplementedError.
Rewrite it without the bug, keeping what it does:

1. `accept`: a coroutine called without `await`, so the audit entry is never written.
2. `invoice`: a blocking call (the PDF library) run on the event loop.
3. `order_page`: three independent lookups awaited one after another.
4. `confirm`: a fire-and-forget task whose reference is dropped.
5. `send_with_retries`: a retry loop that also retries the cancellation.
6. `send_digest`: an unbounded gather (the mail provider allows 4 connections at once).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# notify_shipped gives up after this long (in seconds) and lets the caller try later.
NOTIFY_DEADLINE = 5.0
# How many times send_with_retries tries before giving up on a dropped connection.
SEND_ATTEMPTS = 3
# The mail provider accepts this many connections at once; more get refused.
MAX_PARALLEL_SENDS = 4


@dataclass(frozen=True)
class Order:
    """An order as the shop received it."""

    id: str
    customer_id: str
    items: tuple[str, ...]
    total_cents: int


@dataclass(frozen=True)
class Receipt:
    """The answer to a new order."""

    order_id: str
    status: str


@dataclass(frozen=True)
class OrderPage:
    """What the order page shows: the order, who bought it, stock and shipping price."""

    order: Order
    customer: dict[str, str]
    stock: dict[str, int]
    shipping_cents: int


class AuditLog(Protocol):
    """Where every order event is recorded (a database, in production)."""

    async def write(self, order_id: str, event: str) -> None: ...


class Renderer(Protocol):
    """A third-party PDF library: synchronous, and slow (it blocks its thread)."""

    def render_pdf(self, order: Order) -> bytes: ...


class Directory(Protocol):
    """The backends the order page needs; each call takes a while."""

    async def customer(self, customer_id: str) -> dict[str, str]: ...
    async def stock(self, items: Sequence[str]) -> dict[str, int]: ...
    async def shipping_quote(self, order: Order) -> int: ...


class Mailer(Protocol):
    """The mail provider. `send` may raise ConnectionError when a connection drops."""

    async def send(self, to: str, text: str) -> None: ...


class OrderService:
    """The order service. Its collaborators are injected, so tests can pass fakes."""

    def __init__(
        self, *, audit: AuditLog, renderer: Renderer, directory: Directory, mailer: Mailer
    ) -> None:
        self.audit = audit
        self.renderer = renderer
        self.directory = directory
        self.mailer = mailer
        # The background tasks still running (step 4); aclose() waits for them.
        self._background: set[asyncio.Task[None]] = set()

    async def accept(self, order: Order) -> Receipt:
        """Record the order in the audit log and acknowledge it.

        Args:
            order: the new order; its total must be positive.

        Returns:
            `Receipt(order.id, "accepted")`, once the audit entry is written.

        Raises:
            ValueError: if the total is not positive (nothing is written then).

        Example:
            >>> asyncio.run(demo_service().accept(DEMO_ORDER))
            Receipt(order_id='A-1', status='accepted')
        """
        if order.total_cents <= 0:
            raise ValueError(f"order {order.id} has no positive total")
        # Calling an async method only creates a coroutine; `await` is what runs it.
        await self.audit.write(order.id, "accepted")
        return Receipt(order.id, "accepted")

    async def invoice(self, order: Order) -> bytes:
        """Render the order's invoice as a PDF, without stopping the event loop.

        Args:
            order: the order to invoice.

        Returns:
            The PDF bytes from `self.renderer.render_pdf(order)`.

        Example:
            >>> asyncio.run(demo_service().invoice(DEMO_ORDER))[:8]
            b'%PDF A-1'
        """
        # render_pdf blocks its thread for as long as it works. On a worker thread it
        # blocks that thread only; the event loop keeps serving everyone else meanwhile.
        return await asyncio.to_thread(self.renderer.render_pdf, order)

    async def order_page(self, order: Order) -> OrderPage:
        """Look up the customer, the stock and a shipping quote concurrently.

        Args:
            order: the order to show.

        Returns:
            The `OrderPage`, after about as long as the slowest of the three lookups.

        Example:
            >>> asyncio.run(demo_service().order_page(DEMO_ORDER)).shipping_cents
            499
        """
        # The three lookups do not depend on each other: start them together, so the page
        # costs the slowest lookup, not the sum. The TaskGroup cancels the others if one
        # fails.
        async with asyncio.TaskGroup() as group:
            customer = group.create_task(self.directory.customer(order.customer_id))
            stock = group.create_task(self.directory.stock(order.items))
            quote = group.create_task(self.directory.shipping_quote(order))
        return OrderPage(order, customer.result(), stock.result(), quote.result())

    async def confirm(self, order: Order) -> None:
        """Send the confirmation email in the background and return at once.

        The email task is kept in `self._background` until it ends, so it cannot be
        garbage-collected half-way and `aclose()` can wait for it.

        Args:
            order: the order to confirm.

        Example:
            >>> async def demo() -> None:
            ...     service = demo_service()
            ...     await service.confirm(DEMO_ORDER)
            ...     await service.aclose()
            >>> asyncio.run(demo())
        """
        # The loop keeps only a weak reference to a task: ours keeps it alive, and the
        # done callback forgets it once it ended, so the set does not grow forever.
        task = asyncio.create_task(
            self.mailer.send(order.customer_id, f"Thank you for order {order.id}!"),
            name=f"confirm-{order.id}",
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def aclose(self) -> None:
        """Wait for the background work still running (call it at shutdown)."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def notify_shipped(self, order: Order) -> bool:
        """Tell the customer their parcel shipped; give up after NOTIFY_DEADLINE seconds.

        Returns:
            True when the email was sent, False when the deadline passed first.

        Example:
            >>> asyncio.run(demo_service().notify_shipped(DEMO_ORDER))
            True
        """
        try:
            async with asyncio.timeout(NOTIFY_DEADLINE):
                await self.send_with_retries(order.customer_id, f"Order {order.id} shipped.")
        except TimeoutError:
            return False
        return True

    async def send_with_retries(self, to: str, text: str) -> None:
        """Send an email, retrying a dropped connection (ConnectionError) with backoff.

        Tries SEND_ATTEMPTS times, sleeping 0.1 s, then 0.2 s... between attempts.
        Cancellation is not an error: it is never retried.

        Raises:
            ConnectionError: if the last attempt failed too.

        Example:
            >>> asyncio.run(demo_service().send_with_retries("c-7", "hello"))
        """
        for attempt in range(SEND_ATTEMPTS):
            try:
                await self.mailer.send(to, text)
                return
            # Only the error we know is transient. CancelledError is a BaseException, so
            # it passes through: a timeout or a shutdown that cancels us really stops us.
            except ConnectionError:
                if attempt == SEND_ATTEMPTS - 1:
                    raise
            await asyncio.sleep(0.1 * 2**attempt)

    async def send_digest(self, customer_ids: Sequence[str], text: str) -> int:
        """Send the weekly digest to every customer, at most MAX_PARALLEL_SENDS at once.

        Returns:
            How many emails were sent.

        Example:
            >>> asyncio.run(demo_service().send_digest(["c-1", "c-2"], "news"))
            2
        """
        # The provider refuses a 5th connection: a semaphore lets 4 sends run and keeps the
        # rest waiting, while gather still starts them all and returns when all are done.
        slots = asyncio.Semaphore(MAX_PARALLEL_SENDS)

        async def send_one(customer_id: str) -> None:
            async with slots:
                await self.mailer.send(customer_id, text)

        await asyncio.gather(*(send_one(customer_id) for customer_id in customer_ids))
        return len(customer_ids)


# ---------------------------------------------------------------------------------------
# Fakes for trying the service out (the grader brings its own, instrumented ones).
# ---------------------------------------------------------------------------------------


class FakeAudit:
    """An audit log in memory."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []

    async def write(self, order_id: str, event: str) -> None:
        await asyncio.sleep(0.01)
        self.entries.append((order_id, event))


class FakeRenderer:
    """A PDF library that blocks for `seconds` per invoice, like the real one."""

    def __init__(self, seconds: float = 0.5) -> None:
        self.seconds = seconds

    def render_pdf(self, order: Order) -> bytes:
        time.sleep(self.seconds)  # the real library holds its thread this long
        return f"%PDF {order.id} {order.total_cents}".encode()


class FakeDirectory:
    """The order page's backends, `latency` seconds per call."""

    def __init__(self, latency: float = 0.1) -> None:
        self.latency = latency

    async def customer(self, customer_id: str) -> dict[str, str]:
        await asyncio.sleep(self.latency)
        return {"id": customer_id, "name": f"Customer {customer_id}"}

    async def stock(self, items: Sequence[str]) -> dict[str, int]:
        await asyncio.sleep(self.latency)
        return {item: 3 for item in items}

    async def shipping_quote(self, order: Order) -> int:
        await asyncio.sleep(self.latency)
        return 499


class FakeMailer:
    """A mail provider that takes `latency` seconds per email."""

    def __init__(self, latency: float = 0.05) -> None:
        self.latency = latency
        self.sent: list[tuple[str, str]] = []

    async def send(self, to: str, text: str) -> None:
        await asyncio.sleep(self.latency)
        self.sent.append((to, text))


DEMO_ORDER = Order("A-1", "c-7", ("book", "lamp"), 4200)


def demo_service() -> OrderService:
    """An OrderService wired to the fakes above."""
    return OrderService(
        audit=FakeAudit(), renderer=FakeRenderer(), directory=FakeDirectory(), mailer=FakeMailer()
    )


async def main() -> None:
    service = demo_service()
    print(await service.accept(DEMO_ORDER))
    print(len(await service.invoice(DEMO_ORDER)), "bytes of invoice")
    print(await service.order_page(DEMO_ORDER))
    await service.confirm(DEMO_ORDER)
    print("shipped email sent:", await service.notify_shipped(DEMO_ORDER))
    print("digests sent:", await service.send_digest([f"c-{n}" for n in range(10)], "news"))
    await service.aclose()


if __name__ == "__main__":
    asyncio.run(main())
