"""Loading one user's dashboard after another: each is concurrent, the list is not."""

REJECTED_BY = {"test_many_dashboards_load_together_in_order": "wrong_answer"}


async def load_dashboards(services: Services, user_ids: list[int]) -> list[Dashboard]:
    return [await load_dashboard(services, user_id) for user_id in user_ids]
