"""Sending with a bare `gather`: when one message fails, the others keep going.

gather raises the first error at once and leaves the other sends running, some of them
still waiting for a token: they go out after send_all has told its caller it failed,
tasks nobody awaits.
"""

REJECTED_BY = {"test_send_all_stops_the_other_sends_when_one_fails": "wrong_answer"}


async def send_all(gateway: Gateway, bucket: TokenBucket, messages: list[Message]) -> list[str]:
    async def send_one(message: Message) -> str:
        async with bucket:
            return await gateway.send(message)

    return list(await asyncio.gather(*(send_one(m) for m in messages)))
