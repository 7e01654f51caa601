"""Pausing with `time.sleep()` inside a coroutine: the whole event loop stops with it.

Nothing else can run while a coroutine blocks; the rate-limiting pause must be
`await asyncio.sleep()`.
"""

REJECTED_BY = {"test_dashboard_holds_each_service_result": "leak"}

import time


async def load_dashboard(services: Services, user_id: int) -> Dashboard:
    time.sleep(0.6)  # "be gentle with the backends"
    profile, orders, recommendations = await asyncio.gather(
        services.fetch_profile(user_id),
        services.fetch_orders(user_id),
        services.fetch_recommendations(user_id),
    )
    return Dashboard(user_id, profile, orders, recommendations)
