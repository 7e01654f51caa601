"""Rewriting accept() and losing the check that was there: an order of 0 cents is accepted.

The fix is the `await`; what accept() did besides (refusing an order with no positive
total, before anything is written) must stay.
"""

REJECTED_BY = {"test_accept_still_refuses_an_empty_order": "wrong_answer"}


async def _accept(self: OrderService, order: Order) -> Receipt:
    await self.audit.write(order.id, "accepted")
    return Receipt(order.id, "accepted")


OrderService.accept = _accept
