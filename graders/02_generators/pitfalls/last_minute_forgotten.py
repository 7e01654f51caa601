"""A hand-written grouping loop that yields a minute when the next one starts, and then
forgets to yield the last minute when the input ends."""

REJECTED_BY = {"test_count_per_minute_counts_each_minute": "wrong_answer"}


def count_per_minute(requests: Iterable[Request]) -> Iterator[tuple[str, int]]:
    current: str | None = None
    count = 0
    for request in requests:
        if request.minute != current:
            if current is not None:
                yield current, count
            current, count = request.minute, 0
        count += 1
