"""Calling the audit log's async `write()` without `await`: the entry is never written.

An async call only builds a coroutine object; nothing runs until it is awaited. The demo
works and every answer is right, but the audit log stays empty, and Python only says so
with a "coroutine ... was never awaited" warning when the object is thrown away.
"""

REJECTED_BY = {"test_audit_entry_is_awaited": "leak"}


class OrderService(OrderService):
    async def accept(self, order: Order) -> Receipt:
        if order.total_cents <= 0:
            raise ValueError(f"order {order.id} has no positive total")
        self.audit.write(order.id, "accepted")
        return Receipt(order.id, "accepted")
