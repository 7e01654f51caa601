"""Closing the response in `except GeneratorExit:` and after the loop, not in `finally`.

A caller that stops (aclose) or is cancelled while the generator is paused at `yield`
raises GeneratorExit there, and the response is closed. But a cancellation that arrives
while the generator itself awaits the next issue raises CancelledError at that await,
and the response is left open.
"""

REJECTED_BY = {"test_cancelled_while_streaming_closes_the_response": "wrong_answer"}


async def iter_issues(api: Api, url: str) -> AsyncIterator[Issue]:
    next_url: str | None = url
    while next_url is not None:
        response = await api.get(next_url)
        try:
            async for issue in response:
                yield issue
        except GeneratorExit:
            await response.aclose()
            raise
        await response.aclose()
        next_url = response.next_url
