"""Counting every minute in a dict and yielding the counts, sorted, at the end.

It is a generator and the counts are right, but the first count waits for the last line
of the log: a live log never ends, so it never reports anything.
"""

REJECTED_BY = {"test_count_per_minute_yields_each_minute_when_it_ends": "wrong_answer"}

from collections import Counter


def count_per_minute(requests: Iterable[Request]) -> Iterator[tuple[str, int]]:
    counts = Counter(request.minute for request in requests)
    yield from sorted(counts.items())
