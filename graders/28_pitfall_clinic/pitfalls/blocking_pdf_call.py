"""Calling the synchronous PDF library straight from a coroutine: the loop stops with it.

`async def` does not make the code inside it asynchronous. For the half second that
`render_pdf` holds the thread, no other request, timer or connection of the service runs.
"""

REJECTED_BY = {"test_invoice_does_not_block_the_loop": "leak"}


class OrderService(OrderService):
    async def invoice(self, order: Order) -> bytes:
        return self.renderer.render_pdf(order)
