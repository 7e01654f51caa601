"""Catching the cancellation in checkout to return quietly: timeouts stop working.

"The customer went away, nothing to charge" sounds harmless, but `asyncio.timeout()` only
raises TimeoutError when the CancelledError it caused comes back out, and the task never
reports `cancelled()`.
"""

REJECTED_BY = {
    "test_timeout_around_checkout_raises": "wrong_answer",
    "test_cancelled_checkout_reports_cancelled": "wrong_answer",
}


async def checkout(gateway: PaymentGateway, order_id: str, amount_cents: int) -> Receipt:
    try:
        auth_id = await retry(lambda: gateway.authorize(order_id, amount_cents))
    except asyncio.CancelledError:
        logger.info("checkout of %s abandoned before authorization", order_id)
        return None  # type: ignore[return-value]
    return await commit_payment(gateway, auth_id)
