"""Awaiting three independent lookups one after another: right page, three times as slow."""

REJECTED_BY = {"test_order_page_looks_up_concurrently": "wrong_answer"}


class OrderService(OrderService):
    async def order_page(self, order: Order) -> OrderPage:
        customer = await self.directory.customer(order.customer_id)
        stock = await self.directory.stock(order.items)
        quote = await self.directory.shipping_quote(order)
        return OrderPage(order, customer, stock, quote)
