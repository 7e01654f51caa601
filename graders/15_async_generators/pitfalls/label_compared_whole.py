"""Matching the label by comparing the whole tuple: `issue.labels == (label,)`.

It works on a tracker where every issue has one label, and the grader's first issues
have just ('bug',); an issue labelled ('ui', 'bug', 'p1') carries 'bug' too, and is
skipped. "Carrying a label" is membership: `label in issue.labels`.
"""

REJECTED_BY = {"test_find_issue_matches_one_label_among_several": "wrong_answer"}


async def find_issue(api: Api, url: str, label: str) -> Issue | None:
    async with contextlib.aclosing(iter_issues(api, url)) as stream:
        async for issue in stream:
            if issue.labels == (label,):  # only issues with that one label
                return issue
    return None
