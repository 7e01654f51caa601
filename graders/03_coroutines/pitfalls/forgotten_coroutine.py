"""Calling a service without awaiting it: the call never runs.

A coroutine that is created and dropped does nothing and Python only warns about it at
garbage collection; the profile here is fetched twice, once for nothing.
"""

REJECTED_BY = {"test_dashboard_holds_each_service_result": "leak"}


async def load_dashboard(services: Services, user_id: int) -> Dashboard:
    services.fetch_profile(user_id)  # meant to "warm up" the service; never awaited
    profile, orders, recommendations = await asyncio.gather(
        services.fetch_profile(user_id),
        services.fetch_orders(user_id),
        services.fetch_recommendations(user_id),
    )
    return Dashboard(user_id, profile, orders, recommendations)
