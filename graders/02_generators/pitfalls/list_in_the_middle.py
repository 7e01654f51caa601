"""A `list()` in the middle of the pipeline, "to be able to look at the requests".

The counts are right, but nothing comes out before the whole log has been read and
parsed, and every request of the log is in memory at once: a 10 GB log needs more than
10 GB.
"""

REJECTED_BY = {
    "test_pipeline_keeps_pace_with_the_log": "wrong_answer",
    "test_pipeline_memory_stays_bounded": "wrong_answer",
}


def errors_per_minute(lines: Iterable[str]) -> Iterator[tuple[str, int]]:
    requests = list(parse_requests(lines))
    return count_per_minute(server_errors(requests))
