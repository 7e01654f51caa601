"""Shielding the commit but forgetting its failure once the caller has gone: lost for good.

asyncio.shield() marks the inner task's exception as retrieved when the outer await is
cancelled, so nothing (not even asyncio's "never retrieved" warning) reports it.
"""

REJECTED_BY = {"test_a_commit_failing_after_the_caller_left_is_logged": "wrong_answer"}


async def commit_payment(gateway: PaymentGateway, auth_id: str) -> Receipt:
    commit = asyncio.create_task(retry(lambda: gateway.commit(auth_id)))
    _commits_in_flight.add(commit)
    commit.add_done_callback(_commits_in_flight.discard)
    return await asyncio.shield(commit)
