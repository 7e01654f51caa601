"""Returning from inside `async for` without `contextlib.aclosing`.

The generator is left suspended at its `yield` with page 2 open. It cannot be closed
without awaiting, so asyncio schedules its aclose() on the loop for later: the response is
closed only after find_issue has returned.
"""

REJECTED_BY = {"test_find_issue_closes_before_returning": "wrong_answer"}


async def find_issue(api: Api, url: str, label: str) -> Issue | None:
    async for issue in iter_issues(api, url):
        if label in issue.labels:
            return issue
    return None
