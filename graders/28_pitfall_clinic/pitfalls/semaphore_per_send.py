"""A semaphore made inside each send: each send has its own, so nothing is limited.

`async with asyncio.Semaphore(4):` around each send looks like the fix, but a new semaphore
per call has four free slots every time: all the sends still run at once.
"""

REJECTED_BY = {"test_digest_keeps_four_sends_in_flight": "wrong_answer"}


async def _send_digest(self: OrderService, customer_ids: Sequence[str], text: str) -> int:
    async def send_one(customer_id: str) -> None:
        async with asyncio.Semaphore(MAX_PARALLEL_SENDS):
            await self.mailer.send(customer_id, text)

    await asyncio.gather(*(send_one(c) for c in customer_ids))
    return len(customer_ids)


OrderService.send_digest = _send_digest
