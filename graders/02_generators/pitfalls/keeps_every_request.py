"""Grouping the requests in a dict of lists, one list per minute, never emptied.

Lazy and correct, so every laziness check passes, yet the dict keeps every server error
of the log: memory grows with the log until the process dies.
"""

REJECTED_BY = {"test_pipeline_memory_stays_bounded": "wrong_answer"}

from collections import defaultdict


def count_per_minute(requests: Iterable[Request]) -> Iterator[tuple[str, int]]:
    by_minute: dict[str, list[Request]] = defaultdict(list)
    current: str | None = None
    for request in requests:
        if current is not None and request.minute != current:
            yield current, len(by_minute[current])
        current = request.minute
        by_minute[current].append(request)
    if current is not None:
        yield current, len(by_minute[current])
