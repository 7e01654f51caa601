"""Grades exercises/02_generators/pipeline.py: right counts, read lazily, in bounded memory.

Requirements:
- 1: a Request per line that parses, in order, the others skipped -> test_parse_yields_a_request_per_good_line
- 1: a generator: nothing read when called, one line per request -> test_parse_reads_one_line_per_request
- 2: only the requests with status >= 500 (499 and 404 dropped), in order -> test_server_errors_keeps_only_5xx
- 2: lazily, no further than each error -> test_server_errors_reads_only_up_to_each_error
- 3: one (minute, count) per run, the last minute included; [] for no input ->
  test_count_per_minute_counts_each_minute
- 3: each count yielded as soon as the next minute's first request is read ->
  test_count_per_minute_yields_each_minute_when_it_ends
- 3: keeps nothing of the minutes already counted (no collection that only grows) ->
  test_count_per_minute_forgets_finished_minutes
- 3: counts a busy minute without holding its requests ->
  test_count_per_minute_counts_a_busy_minute_without_holding_it
- 4: the three stages chained give (minute, server errors) -> test_pipeline_gives_errors_per_minute
- 4: keeps pace with a million-line log (no stage reads ahead) -> test_pipeline_keeps_pace_with_the_log
- 4: no list anywhere: peak memory bounded -> test_pipeline_memory_stays_bounded
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from katagrader import learner_module

pipeline = learner_module("pipeline")
T = TypeVar("T")

SAMPLE_LINES = [
    '203.0.113.9 - - [25/Nov/2026:10:00:07 +0000] "GET /api/users HTTP/1.1" 200 1234\n',
    "\n",
    '198.51.100.4 - - [25/Nov/2026:10:00:09 +0000] "POST /api/orders HTTP/1.1" 502 -\n',
    '198.51.100.4 - - [25/Nov/2026:10:00:11 +0000] "GET /api/ord',  # cut short by a crash
    "GET /favicon.ico\n",
    '192.0.2.33 - - [25/Nov/2026:10:01:02 +0000] "DELETE /api/users/7 HTTP/1.1" 404 87\n',
]
SAMPLE_REQUESTS = [
    ("203.0.113.9", "25/Nov/2026:10:00:07 +0000", "GET", "/api/users", 200, 1234),
    ("198.51.100.4", "25/Nov/2026:10:00:09 +0000", "POST", "/api/orders", 502, 0),
    ("192.0.2.33", "25/Nov/2026:10:01:02 +0000", "DELETE", "/api/users/7", 404, 87),
]
# Lines per minute in the generated log (one request per second).
PER_MINUTE = 60


def access_line(n: int) -> str:
    """Line n (from 0) of a generated log: one request per second, every third one a 500."""
    status = 500 if n % 3 == 0 else 200
    return (
        f"198.51.100.{n % 200} - - [25/Nov/2026:{9 + n // 3600:02d}:{n // 60 % 60:02d}:"
        f'{n % 60:02d} +0000] "POST /api/orders/{n % 97} HTTP/1.1" {status} {n % 3000}\n'
    )


def minute_of(n: int) -> str:
    return f"25/Nov/2026:{9 + n // 3600:02d}:{n // 60 % 60:02d}"


class ProbedLog:
    """A log generated line by line that counts the lines pulled from it; past `budget`
    lines it fails the test instead of letting an eager stage read the whole log."""

    def __init__(self, size: int, *, budget: int | None = None, what: str = "") -> None:
        self.size = size
        self.budget = budget
        self.what = what
        self.pulled = 0

    def __iter__(self) -> ProbedLog:
        return self

    def __next__(self) -> str:
        if self.pulled >= self.size:
            raise StopIteration
        if self.budget is not None and self.pulled >= self.budget:
            raise AssertionError(
                f"{self.what} read more than {self.budget:,} lines of a {self.size:,}-line log "
                "before giving the results asked for so far. A stage that builds a list (or "
                "calls list(), sorted() or len() on its input) reads the whole log first; "
                "each stage must yield as it goes."
            )
        self.pulled += 1
        return access_line(self.pulled - 1)


class Probed:
    """An iterator over given items that counts how many were pulled."""

    def __init__(self, items: list[Any]) -> None:
        self._items = iter(items)
        self.size = len(items)
        self.pulled = 0

    def __iter__(self) -> Probed:
        return self

    def __next__(self) -> Any:
        item = next(self._items)
        self.pulled += 1
        return item


def request(minute: str, status: int = 500, second: int = 0) -> Any:
    return pipeline.Request(
        "203.0.113.1", f"25/Nov/2026:{minute}:{second:02d} +0000", "GET", "/", status, 10
    )


def pulled_after_each(
    results: Iterator[Any], source: ProbedLog | Probed, count: int
) -> list[tuple[Any, int]]:
    """Take `count` results one by one, noting how much of the source each one cost."""
    taken = []
    for index in range(count):
        try:
            taken.append((next(results), source.pulled))
        except StopIteration:
            raise AssertionError(
                f"the generator stopped after {index} result(s) ({[r for r, _ in taken]}); "
                f"expected at least {count}. Does a stage return (or stop) too early?"
            ) from None
    return taken


def check_nothing_read_yet(source: ProbedLog | Probed, call: str) -> None:
    assert source.pulled == 0, (
        f"calling {call} read {source.pulled} item(s) before any result was asked for; expected "
        "0. A generator function runs only when next() is called on what it returns: build "
        "no list when called."
    )


def peak_memory(run: Callable[[], T]) -> tuple[T, int]:
    """`run()` and the most memory (bytes, tracemalloc) allocated at once while it ran."""
    already_tracing = tracemalloc.is_tracing()
    if not already_tracing:
        tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = run()
        return result, tracemalloc.get_traced_memory()[1] - base
    finally:
        if not already_tracing:
            tracemalloc.stop()


# ---- step 1: parse ----------------------------------------------------------------------


@pytest.mark.task(1)
def test_parse_yields_a_request_per_good_line() -> None:
    """parse_requests yields one Request per line that parses, in order, and skips the rest."""
    got = list(pipeline.parse_requests(SAMPLE_LINES))
    expected = [pipeline.Request(*fields) for fields in SAMPLE_REQUESTS]
    why = (
        " Some of them are None: skip the lines parse_request() returns None for (blank, "
        "cut-short, garbled)."
        if None in got
        else ""
    )
    assert got == expected, (
        f"list(parse_requests(lines)) gave {got!r}; expected {expected!r}, a Request per line "
        f"that parses, in input order.{why}"
    )


@pytest.mark.task(1)
def test_parse_reads_one_line_per_request() -> None:
    """parse_requests reads nothing when called, then one line per request taken."""
    log = ProbedLog(1_000_000, budget=1_000, what="parse_requests(log)")
    requests = pipeline.parse_requests(log)
    check_nothing_read_yet(log, "parse_requests(log)")
    for (got, pulled), wanted in zip(pulled_after_each(requests, log, 3), (1, 2, 3), strict=True):
        assert pulled == wanted, (
            f"taking {wanted} request(s) from parse_requests(log) read {pulled} lines; expected "
            f"{wanted}: one line per request (the last one taken: {got!r})."
        )


# ---- step 2: filter ---------------------------------------------------------------------


@pytest.mark.task(2)
def test_server_errors_keeps_only_5xx() -> None:
    """server_errors keeps the requests with status 500 to 599, in order."""
    statuses = [200, 500, 404, 503, 301, 599, 499]
    requests = [request("10:00", status, second) for second, status in enumerate(statuses)]
    got = [r.status for r in pipeline.server_errors(requests)]
    assert got == [500, 503, 599], (
        f"server_errors(requests with statuses {statuses}) kept statuses {got}; expected "
        "[500, 503, 599]: the server errors, in input order."
    )


@pytest.mark.task(2)
def test_server_errors_reads_only_up_to_each_error() -> None:
    """server_errors reads nothing when called, and each error no further than that error."""
    statuses = [200, 404, 500, 200, 200, 503, *[200] * 100]
    source = Probed(
        [request("10:00", status, second % 60) for second, status in enumerate(statuses)]
    )
    errors = pipeline.server_errors(source)
    check_nothing_read_yet(source, "server_errors(requests)")
    taken = pulled_after_each(errors, source, 2)
    got = [pulled for _error, pulled in taken]
    assert got == [3, 6], (
        f"taking the first and second errors (requests 3 and 6 of {source.size}) from "
        f"server_errors(requests) had read {got[0]} then {got[1]} requests; expected 3 then 6. "
        "Yield each error as soon as you meet it."
    )


# ---- step 3: aggregate ------------------------------------------------------------------


@pytest.mark.task(3)
def test_count_per_minute_counts_each_minute() -> None:
    """count_per_minute gives one (minute, count) per run of a minute, the last one included."""
    runs = [("10:00", 3), ("10:01", 1), ("10:04", 2), ("10:05", 4)]
    requests = [request(m, 500, s) for m, n in runs for s in range(n)]
    got = list(pipeline.count_per_minute(requests))
    expected = [(f"25/Nov/2026:{m}", n) for m, n in runs]
    why = (
        " The last minute is missing: yield its count when the input ends (after the loop)."
        if got == expected[:-1]
        else ""
    )
    assert got == expected, (
        f"list(count_per_minute(requests)) gave {got}; expected {expected}: every minute's "
        f"count when the next minute starts, and the last one when the input ends.{why}"
    )
    empty = list(pipeline.count_per_minute([]))
    assert empty == [], f"count_per_minute([]) gave {empty}; expected []."


@pytest.mark.task(3)
def test_count_per_minute_yields_each_minute_when_it_ends() -> None:
    """Each minute's count comes out as soon as the first request of the next minute is read."""
    runs = [("10:00", 3), ("10:01", 2), ("10:02", 5), ("10:03", 1)]
    source = Probed([request(m, 500, s) for m, n in runs for s in range(n)])
    counts = pipeline.count_per_minute(source)
    check_nothing_read_yet(source, "count_per_minute(requests)")
    got = [pulled for _count, pulled in pulled_after_each(counts, source, 3)]
    assert got == [4, 6, 11], (
        f"taking the counts of the first three minutes (runs of 3, 2 and 5 requests, "
        f"{source.size} in all) had read {got} requests; expected [4, 6, 11]: a minute is "
        "complete when a request of the next minute arrives, and its count must be yielded "
        "then, not after reading the whole input (no Counter of everything, no sorting)."
    )


# ---- step 4: the whole pipeline ---------------------------------------------------------


@pytest.mark.task(4)
def test_pipeline_gives_errors_per_minute() -> None:
    """errors_per_minute counts the server errors of every minute that has some."""
    lines = [
        '203.0.113.9 - - [25/Nov/2026:10:00:01 +0000] "GET /api/users HTTP/1.1" 500 12\n',
        '203.0.113.9 - - [25/Nov/2026:10:00:02 +0000] "GET /api/users HTTP/1.1" 200 12\n',
        "garbage\n",
        '203.0.113.9 - - [25/Nov/2026:10:00:30 +0000] "GET /api/orders HTTP/1.1" 503 0\n',
        '203.0.113.9 - - [25/Nov/2026:10:01:05 +0000] "GET /api/users HTTP/1.1" 404 0\n',
        '203.0.113.9 - - [25/Nov/2026:10:02:00 +0000] "GET /health HTTP/1.1" 200 2\n',
        '203.0.113.9 - - [25/Nov/2026:10:02:59 +0000] "POST /api/payments HTTP/1.1" 502 -\n',
    ]
    got = list(pipeline.errors_per_minute(lines))
    expected = [("25/Nov/2026:10:00", 2), ("25/Nov/2026:10:02", 1)]
    assert got == expected, (
        f"list(errors_per_minute(lines)) gave {got}; expected {expected} (10:01 has only a 404, "
        "so no server error and no entry). Chain count_per_minute(server_errors("
        "parse_requests(lines)))."
    )


@pytest.mark.task(4)
def test_pipeline_keeps_pace_with_the_log() -> None:
    """On a million-line log, each minute's count comes out after reading about one minute."""
    log = ProbedLog(1_000_000, budget=10_000, what="errors_per_minute(log)")
    results = pipeline.errors_per_minute(log)
    check_nothing_read_yet(log, "errors_per_minute(log)")
    for k, ((minute, errors), pulled) in enumerate(pulled_after_each(results, log, 5)):
        assert (minute, errors) == (minute_of(k * PER_MINUTE), PER_MINUTE // 3), (
            f"result {k + 1} of errors_per_minute(log) was {(minute, errors)}; expected "
            f"{(minute_of(k * PER_MINUTE), PER_MINUTE // 3)}."
        )
        # A minute is known to be over at the first error of the next one: its first line.
        limit = (k + 1) * PER_MINUTE + 1
        assert pulled <= limit, (
            f"when errors_per_minute(log) gave the count of minute {k + 1}, it had read {pulled} "
            f"lines of the log; expected at most {limit} (that minute plus one line). Some "
            "stage reads ahead of what is asked: every stage must pull one item at a time."
        )


@pytest.mark.task(3)
def test_count_per_minute_forgets_finished_minutes() -> None:
    """Over 20,000 minutes of one request each, count_per_minute keeps only the current
    minute: peak memory stays under 256 KiB (a dict of every minute needs megabytes)."""

    def requests() -> Iterator[Any]:
        for n in range(20_000):
            day, rest = divmod(n, 24 * 60)
            hour, minute = divmod(rest, 60)
            stamp = f"{day % 28 + 1:02d}/Nov/2026:{hour:02d}:{minute:02d}:00 +0000"
            yield pipeline.Request("10.0.0.1", stamp, "GET", "/", 500, 10)

    bound = 256 * 1024
    counted, peak = peak_memory(lambda: sum(1 for _ in pipeline.count_per_minute(requests())))
    assert counted == 20_000, f"count_per_minute over 20,000 minutes gave {counted} counts."
    assert peak < bound, (
        f"count_per_minute over 20,000 minutes (one request each) used up to "
        f"{peak / 1024:,.0f} KiB at once; expected under {bound // 1024} KiB. It keeps "
        "something of every minute it has counted (a dict or set of minutes that only "
        "grows): hold only the current minute and its count."
    )


@pytest.mark.task(3)
def test_count_per_minute_counts_a_busy_minute_without_holding_it() -> None:
    """One minute of 50,000 requests is counted without keeping them: peak memory stays
    under 256 KiB (a list of that minute's requests holds megabytes)."""
    busy = 50_000

    def requests() -> Iterator[Any]:
        for second in range(busy):
            yield request("10:00", second=second % 60)
        yield request("10:01")

    bound = 256 * 1024
    counts, peak = peak_memory(lambda: list(pipeline.count_per_minute(requests())))
    expected = [("25/Nov/2026:10:00", busy), ("25/Nov/2026:10:01", 1)]
    assert counts == expected, (
        f"count_per_minute over a minute of {busy:,} requests then one more gave {counts!r}; "
        f"expected {expected!r}."
    )
    assert peak < bound, (
        f"count_per_minute over one minute of {busy:,} requests used up to "
        f"{peak / 1024:,.0f} KiB at once; expected under {bound // 1024} KiB. It holds the "
        "minute's requests (`len(list(group))`, or a list it appends to) just to count them: "
        "a busy minute is as big as a whole log. Count as they pass: `sum(1 for _ in group)`, "
        "or a counter that goes up by one."
    )


@pytest.mark.task(4)
def test_pipeline_memory_stays_bounded() -> None:
    """Running the whole pipeline over 8,000 lines allocates no more than a few minutes' worth."""
    size, bound = 8_000, 256 * 1024
    log = ProbedLog(size)
    results, peak = peak_memory(lambda: sum(1 for _ in pipeline.errors_per_minute(log)))
    minutes = -(-size // PER_MINUTE)
    assert results == minutes, (
        f"errors_per_minute over {size} lines gave {results} counts; expected {minutes}."
    )
    assert peak < bound, (
        f"errors_per_minute over {size:,} lines of log used up to {peak / 1024:,.0f} KiB at once; "
        f"expected under {bound // 1024} KiB (a correct pipeline holds a few requests: a few "
        "KiB). Something keeps every request (or line): a list, a list() call, or a dict that "
        "collects requests and is never emptied. Keep only the current minute's count."
    )
