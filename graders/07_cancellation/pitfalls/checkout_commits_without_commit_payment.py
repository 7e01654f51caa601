"""checkout retrying the commit itself instead of going through commit_payment: no shield.

A cancellation that arrives during the commit (a timeout that expires late, a shutdown)
is thrown into the gateway call, and the payment is cut in half.
"""

REJECTED_BY = {"test_checkout_cancelled_during_the_commit_still_commits": "wrong_answer"}


async def checkout(gateway: PaymentGateway, order_id: str, amount_cents: int) -> Receipt:
    auth_id = await retry(lambda: gateway.authorize(order_id, amount_cents))
    return await retry(lambda: gateway.commit(auth_id))
