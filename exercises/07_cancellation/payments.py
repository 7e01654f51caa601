"""Charge a card: retry the flaky gateway, but never retry or swallow a cancellation.

A checkout authorizes the amount with the payment gateway, then commits the payment. The
gateway sometimes answers with a transient error (a 502, a dropped connection): those calls
are worth retrying after a short, growing pause. A cancellation is different: it means the
caller (a timeout, a TaskGroup, a shutdown) wants the work to stop now.

1. `retry`: call an operation until it succeeds, pausing 0.1, 0.2, 0.4 s... between tries,
   retrying only the transient errors; a cancellation ends it at once.
2. `commit_payment`: commit under `asyncio.shield`, so that a cancelled caller does not
   leave a half-done payment behind; the caller still sees `CancelledError`.
3. `checkout`: authorize (with retries), then commit; a timeout around it must work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

T = TypeVar("T")


class TransientError(Exception):
    """The gateway failed in a way that may work on the next try (502, reset connection)."""


class CardDeclined(Exception):
    """The bank refused the payment; trying again will not change its mind."""


@dataclass(frozen=True)
class Receipt:
    """What a committed payment leaves behind."""

    order_id: str
    auth_id: str
    amount_cents: int


class PaymentGateway(Protocol):
    """The payment provider's API; every call goes over the network."""

    async def authorize(self, order_id: str, amount_cents: int) -> str:
        """Reserve the amount on the card; returns an authorization id."""
        ...

    async def commit(self, auth_id: str) -> Receipt:
        """Capture an authorized payment; after this the money has moved."""
        ...


class FakeGateway:
    """An in-memory gateway with a network latency and a few scripted hiccups."""

    def __init__(self, latency: float = 0.2, hiccups: int = 2) -> None:
        self.latency = latency
        self.hiccups = hiccups
        self.orders: dict[str, tuple[str, int]] = {}
        self.committed: list[str] = []

    async def authorize(self, order_id: str, amount_cents: int) -> str:
        await asyncio.sleep(self.latency)
        if self.hiccups > 0:
            self.hiccups -= 1
            raise TransientError("502 Bad Gateway")
        auth_id = f"auth-{len(self.orders) + 1}"
        self.orders[auth_id] = (order_id, amount_cents)
        return auth_id

    async def commit(self, auth_id: str) -> Receipt:
        await asyncio.sleep(self.latency)
        self.committed.append(auth_id)
        order_id, amount = self.orders[auth_id]
        return Receipt(order_id, auth_id, amount)


async def retry(
    operation: Callable[[], Awaitable[T]],
    *,
    attempts: int = 4,
    base_delay: float = 0.1,
    retry_on: tuple[type[Exception], ...] = (TransientError,),
) -> T:
    """Call `operation()` until it succeeds, backing off between tries.

    Args:
        operation: makes a fresh awaitable on each call (a coroutine can be awaited once).
        attempts: how many calls at most.
        base_delay: the pause after the first failure; it doubles after each one
            (0.1, 0.2, 0.4 s...). There is no pause after the last failure.
        retry_on: the exception types worth another try.

    Returns:
        The first successful result.

    Raises:
        The last `retry_on` error once `attempts` calls failed; any other exception at
        once; `asyncio.CancelledError` at once when the caller is cancelled (never retried).

    Example:
        >>> gateway = FakeGateway(latency=0, hiccups=2)  # fails twice, then works
        >>> asyncio.run(retry(lambda: gateway.authorize("o-1", 500)))
        'auth-1'
    """
    # TODO: call operation() in a loop; after the n-th retry_on error (n = 1, 2...) pause
    # base_delay * 2**(n - 1) and try again (no pause after the last try: re-raise). Let
    # everything else, and above all asyncio.CancelledError, go straight up.
    raise NotImplementedError("retry: back off and retry transient errors (step 1)")


async def commit_payment(gateway: PaymentGateway, auth_id: str) -> Receipt:
    """Commit an authorized payment, retrying transient errors, even if the caller is cancelled.

    Args:
        gateway: the payment provider.
        auth_id: what `gateway.authorize` returned.

    Returns:
        The gateway's receipt.

    Raises:
        asyncio.CancelledError: at once when the caller is cancelled; the commit (with its
            retries) still runs to the end in the background.

    Example:
        >>> gw = FakeGateway(latency=0, hiccups=0)
        >>> async def pay() -> Receipt:
        ...     return await commit_payment(gw, await gw.authorize("o-1", 500))
        >>> asyncio.run(pay()).amount_cents
        500
    """
    # TODO: run the retrying commit as a task, await it through asyncio.shield(), and keep a
    # reference to the task until it is done.
    raise NotImplementedError("commit_payment: shield the commit (step 2)")


async def checkout(gateway: PaymentGateway, order_id: str, amount_cents: int) -> Receipt:
    """Authorize the amount (retrying transient errors), then commit it.

    Args:
        gateway: the payment provider.
        order_id: the order being paid.
        amount_cents: how much.

    Returns:
        The receipt of the committed payment.

    Raises:
        CardDeclined: the bank refused (not retried).
        TransientError: the gateway still failed after every retry.
        asyncio.CancelledError: the caller was cancelled (a timeout around `checkout`
            then raises TimeoutError as it should).

    Example:
        >>> asyncio.run(checkout(FakeGateway(latency=0), "o-1", 1999)).amount_cents
        1999
    """
    # TODO: authorize with retry(), then commit_payment(); let a cancellation through.
    raise NotImplementedError("checkout: authorize with retries, then commit (step 3)")


async def main() -> None:
    gateway = FakeGateway()
    receipt = await checkout(gateway, "order-42", 1999)
    print(f"paid: {receipt}")
    try:
        async with asyncio.timeout(0.3):
            await checkout(gateway, "order-43", 500)
    except TimeoutError:
        print("order-43 timed out while committing")
    # asyncio.run() cancels every task still running when main() returns, shielded or not:
    # give the shielded commit the moment it needs.
    await asyncio.sleep(0.5)
    print(f"committed: {gateway.committed}")


if __name__ == "__main__":
    asyncio.run(main())
