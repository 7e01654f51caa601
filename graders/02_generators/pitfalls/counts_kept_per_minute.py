"""Counting in a dict keyed by minute and never forgetting a minute: memory grows with
the length of the log, however long ago a minute ended."""

REJECTED_BY = {"test_count_per_minute_forgets_finished_minutes": "wrong_answer"}


def count_per_minute(requests):
    counts = {}
    current = None
    for request in requests:
        minute = request.minute
        if current is not None and minute != current:
            yield current, counts[current]
        counts[minute] = counts.get(minute, 0) + 1
        current = minute
    if current is not None:
        yield current, counts[current]
