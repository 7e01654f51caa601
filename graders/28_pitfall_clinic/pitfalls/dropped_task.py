"""Fire-and-forget `create_task` with the task dropped: nobody can wait for the email.

The loop holds tasks only weakly, so an unreferenced task can be garbage-collected
half-way; and `aclose()` has nothing to wait for, so shutdown cuts the email off.
"""

REJECTED_BY = {"test_confirmation_task_is_kept_and_awaited": "leak"}


class OrderService(OrderService):
    async def confirm(self, order: Order) -> None:
        asyncio.create_task(
            self.mailer.send(order.customer_id, f"Thank you for order {order.id}!"),
            name=f"confirm-{order.id}",
        )
