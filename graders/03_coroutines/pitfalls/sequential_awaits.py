"""Awaiting each service before calling the next: right data, three times as slow.

`await` runs a coroutine to the end before the next line starts, so three awaits in a
row are three seconds, not one.
"""

REJECTED_BY = {
    "test_services_are_called_concurrently": "wrong_answer",
    "test_takes_as_long_as_the_slowest_call": "wrong_answer",
}


async def load_dashboard(services: Services, user_id: int) -> Dashboard:
    profile = await services.fetch_profile(user_id)
    orders = await services.fetch_orders(user_id)
    recommendations = await services.fetch_recommendations(user_id)
    return Dashboard(user_id, profile, orders, recommendations)
