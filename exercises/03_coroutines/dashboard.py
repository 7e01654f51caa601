"""Load a user's dashboard from three slow services at once.

The dashboard needs a profile, recent orders and recommendations, each from its own
service that takes about a second to answer. Awaited one after another they take three
seconds; started together they take as long as the slowest one.

1. `load_dashboard`: fetch the three parts concurrently and build a `Dashboard`.
2. `load_dashboards`: load the dashboards of several users concurrently, in input order.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Dashboard:
    """What the page shows for one user."""

    user_id: int
    profile: dict[str, str]
    orders: list[str]
    recommendations: list[str]


class Services(Protocol):
    """The three backends; each call takes a while to answer."""

    async def fetch_profile(self, user_id: int) -> dict[str, str]: ...
    async def fetch_orders(self, user_id: int) -> list[str]: ...
    async def fetch_recommendations(self, user_id: int) -> list[str]: ...


class FakeServices:
    """In-memory services with a simulated network latency (seconds per call)."""

    def __init__(self, latency: float = 1.0) -> None:
        self.latency = latency

    async def fetch_profile(self, user_id: int) -> dict[str, str]:
        await asyncio.sleep(self.latency)
        return {"name": f"user-{user_id}", "plan": "pro" if user_id % 2 else "free"}

    async def fetch_orders(self, user_id: int) -> list[str]:
        await asyncio.sleep(self.latency)
        return [f"order-{user_id}-{n}" for n in range(3)]

    async def fetch_recommendations(self, user_id: int) -> list[str]:
        await asyncio.sleep(self.latency)
        return [f"book-{user_id * 7 % 10}", f"film-{user_id * 3 % 10}"]


async def load_dashboard(services: Services, user_id: int) -> Dashboard:
    """Fetch a user's profile, orders and recommendations concurrently.

    Args:
        services: where the three parts come from.
        user_id: whose dashboard to load.

    Returns:
        The `Dashboard`, after about as long as the slowest of the three calls.

    Example:
        >>> asyncio.run(load_dashboard(FakeServices(latency=0), 1)).orders[0]
        'order-1-0'
    """
    # TODO: start the three fetches together, wait for all of them, build the Dashboard.
    raise NotImplementedError("load_dashboard: fetch the three parts concurrently (step 1)")


async def load_dashboards(services: Services, user_ids: list[int]) -> list[Dashboard]:
    """Load several users' dashboards concurrently.

    Args:
        services: where the parts come from.
        user_ids: whose dashboards to load.

    Returns:
        One `Dashboard` per user, in the order of `user_ids`.

    Example:
        >>> [d.user_id for d in asyncio.run(load_dashboards(FakeServices(0), [2, 1]))]
        [2, 1]
    """
    # TODO: load every user's dashboard at the same time, keeping the order of user_ids.
    raise NotImplementedError("load_dashboards: load the dashboards concurrently (step 2)")


async def main() -> None:
    services = FakeServices(latency=1.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    dashboards = await load_dashboards(services, [1, 2, 3])
    print(f"{len(dashboards)} dashboards in {loop.time() - started:.1f} s")


if __name__ == "__main__":
    asyncio.run(main())
