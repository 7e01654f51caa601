"""Gathering one send per customer with no limit: ten connections where four are allowed.

gather starts every awaitable it is given at once; with a real provider the connections
past the fourth are refused.
"""

REJECTED_BY = {"test_digest_keeps_four_sends_in_flight": "wrong_answer"}


class OrderService(OrderService):
    async def send_digest(self, customer_ids: Sequence[str], text: str) -> int:
        await asyncio.gather(*(self.mailer.send(c, text) for c in customer_ids))
        return len(customer_ids)
