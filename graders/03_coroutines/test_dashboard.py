"""Grades exercises/03_coroutines/dashboard.py: the three services are awaited together.

Requirements:
- 1: each field from its service, each service called once -> test_dashboard_holds_each_service_result
- 1: the three calls in flight together -> test_services_are_called_concurrently
- 1: 1 s per call takes 1 s, not 3 s -> test_takes_as_long_as_the_slowest_call
- 2: several dashboards at once, in the order of user_ids -> test_many_dashboards_load_together_in_order
- 2: no users give [] -> test_no_users_gives_no_dashboards
- checks: a failing service -> not graded: kata 04 teaches it (the README says so)
"""

from __future__ import annotations

import asyncio

import pytest

from katagrader import InFlight, learner_module, within

dashboard = learner_module("dashboard")


class ProbedServices:
    """Services whose calls take `latency` virtual seconds and are counted while in flight."""

    def __init__(self, latency: float = 1.0) -> None:
        self.latency = latency
        self.in_flight = InFlight()
        self.calls: list[tuple[str, int]] = []

    async def _call(self, name: str, user_id: int) -> None:
        self.calls.append((name, user_id))
        async with self.in_flight:
            await asyncio.sleep(self.latency)

    async def fetch_profile(self, user_id: int) -> dict[str, str]:
        await self._call("profile", user_id)
        return {"name": f"probe-{user_id}"}

    async def fetch_orders(self, user_id: int) -> list[str]:
        await self._call("orders", user_id)
        return [f"probe-order-{user_id}"]

    async def fetch_recommendations(self, user_id: int) -> list[str]:
        await self._call("recommendations", user_id)
        return [f"probe-rec-{user_id}"]


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_dashboard_holds_each_service_result() -> None:
    """load_dashboard puts each service's answer in its own field."""
    services = ProbedServices()
    result = await within(
        10, dashboard.load_dashboard(services, 7), what="load_dashboard(services, 7)"
    )
    expected = dashboard.Dashboard(7, {"name": "probe-7"}, ["probe-order-7"], ["probe-rec-7"])
    assert result == expected, (
        f"load_dashboard(services, 7) returned {result!r}; expected {expected!r}. "
        "Each field comes from one service: profile from fetch_profile, and so on."
    )
    assert sorted(services.calls) == [("orders", 7), ("profile", 7), ("recommendations", 7)], (
        f"the services were called as {services.calls}; expected each of the three once for user 7."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_services_are_called_concurrently() -> None:
    """The three calls of one dashboard are all in flight at the same time."""
    services = ProbedServices()
    await within(10, dashboard.load_dashboard(services, 1), what="load_dashboard(services, 1)")
    peak = services.in_flight.peak
    why = (
        " One at a time: each call was awaited before the next one started; start them all "
        "first (asyncio.gather or a TaskGroup), then wait."
        if peak == 1
        else ""
    )
    assert peak == 3, (
        f"load_dashboard had at most {peak} service call(s) in flight at once; expected all 3 "
        f"together.{why}"
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_takes_as_long_as_the_slowest_call() -> None:
    """With 1 s per call, a dashboard takes 1 s of loop time, not 3 s."""
    services = ProbedServices(latency=1.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await within(10, dashboard.load_dashboard(services, 1), what="load_dashboard(services, 1)")
    elapsed = loop.time() - started
    assert elapsed == pytest.approx(1.0), (
        f"load_dashboard took {elapsed:g} s of loop time with three 1 s calls; expected 1 s "
        "(all three at once). 3 s means they ran one after another."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_many_dashboards_load_together_in_order() -> None:
    """load_dashboards returns one dashboard per user, in input order, all loaded at once."""
    services = ProbedServices()
    user_ids = [5, 3, 9, 1]
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await within(
        10,
        dashboard.load_dashboards(services, user_ids),
        what=f"load_dashboards(services, {user_ids})",
    )
    elapsed = loop.time() - started
    got = [d.user_id for d in result]
    assert got == user_ids, (
        f"load_dashboards(services, {user_ids}) returned dashboards for users {got}; "
        "expected one per user in the same order (gather keeps the order of its arguments)."
    )
    assert services.in_flight.peak == 3 * len(user_ids), (
        f"at most {services.in_flight.peak} calls were in flight at once; expected "
        f"{3 * len(user_ids)} (3 per user, all users together). Start every dashboard before "
        "awaiting any."
    )
    assert elapsed == pytest.approx(1.0), (
        f"loading {len(user_ids)} dashboards took {elapsed:g} s of loop time; expected 1 s."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_no_users_gives_no_dashboards() -> None:
    """An empty list of users gives an empty list, at once."""
    services = ProbedServices()
    result = await within(
        1, dashboard.load_dashboards(services, []), what="load_dashboards(services, [])"
    )
    assert list(result) == [], f"load_dashboards(services, []) returned {result!r}; expected []."
    assert services.calls == [], f"no service should be called for no users; got {services.calls}."
