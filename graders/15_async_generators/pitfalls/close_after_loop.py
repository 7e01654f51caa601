"""Closing the response after the loop over its issues, not in a `finally`.

It works when every page is read to the end. When the caller stops early, aclose()
raises GeneratorExit at the `yield`, the line after the loop never runs, and the
connection stays open.
"""

REJECTED_BY = {
    "test_early_stop_closes_the_response": "wrong_answer",
    "test_cancelled_consumer_closes_the_response": "wrong_answer",
}


async def iter_issues(api: Api, url: str) -> AsyncGenerator[Issue, None]:
    next_url: str | None = url
    while next_url is not None:
        response = await api.get(next_url)
        async for issue in response:
            yield issue
        await response.aclose()
        next_url = response.next_url
