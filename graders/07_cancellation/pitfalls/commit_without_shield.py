"""Awaiting the commit directly: a cancelled caller interrupts the payment halfway.

Without `asyncio.shield`, the CancelledError aimed at the caller is thrown into the commit
itself, which stops wherever it was.
"""

REJECTED_BY = {"test_commit_completes_after_caller_is_cancelled": "wrong_answer"}


async def commit_payment(gateway: PaymentGateway, auth_id: str) -> Receipt:
    return await retry(lambda: gateway.commit(auth_id))
