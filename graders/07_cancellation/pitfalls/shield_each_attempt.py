"""Shielding each commit attempt instead of the whole retrying commit.

The attempt running when the caller is cancelled finishes, but the retry loop around it
is cancelled: if that attempt fails, nobody tries again and the payment is never committed.
"""

REJECTED_BY = {"test_commit_retries_continue_after_caller_is_cancelled": "wrong_answer"}


async def commit_payment(gateway: PaymentGateway, auth_id: str) -> Receipt:
    return await retry(lambda: asyncio.shield(gateway.commit(auth_id)))
