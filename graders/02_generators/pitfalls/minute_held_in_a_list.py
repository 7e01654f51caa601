"""Counting each minute with `len(list(group))`.

The counts are right, and each one comes out as soon as its minute ends, but every
request of the current minute is kept in a list just to be counted: a busy minute
(tens of thousands of requests) is held in memory whole.
"""

REJECTED_BY = {"test_count_per_minute_counts_a_busy_minute_without_holding_it": "wrong_answer"}

import itertools


def count_per_minute(requests: Iterable[Request]) -> Iterator[tuple[str, int]]:
    for minute, group in itertools.groupby(requests, key=lambda request: request.minute):
        yield minute, len(list(group))
