"""Grades exercises/01_iterators/log_file.py: the iteration protocol, exactly.

Requirements:
- 1: a cursor yields the parsed entries in order, skipping blank, comment and garbled lines ->
  test_cursor_yields_entries_in_order
- 1: the cursor is its own iterator (a loop continues where it stands) -> test_cursor_is_its_own_iterator
- 1: the source is opened at the first next(), not before -> test_cursor_opens_the_source_at_the_first_next
- 1: each next() reads only the lines it needs -> test_cursor_reads_one_line_at_a_time
- 1: at the end the reader is closed -> test_cursor_closes_the_reader_at_the_end
- 1: after the end StopIteration every time, no reopening -> test_exhausted_cursor_stays_exhausted
- 2: iter(log) is a new iterator each call, never the file -> test_log_file_hands_out_a_new_cursor_each_time
- 2: the file can be read any number of times -> test_log_file_can_be_read_twice
- 2: loops at once (cursors, nested loops) do not disturb each other -> test_cursors_advance_independently
- 2: a loop over the file reads lazily -> test_log_file_reads_lazily
- 3: the view keeps the entries at or above its level, in LEVELS order -> test_view_keeps_entries_at_or_above_its_level
- 3: the view is re-iterable -> test_view_can_be_read_twice
- 3: the view is lazy -> test_view_reads_lazily
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from katagrader import learner_module

log_file = learner_module("log_file")

SAMPLE_LINES = [
    "# api-gateway, rotated 2026-11-25\n",
    "2026-11-25T10:00:00 INFO api: started on port 8080\n",
    "2026-11-25T10:00:02 DEBUG db: pool size 4\n",
    "\n",
    "2026-11-25T10:00:03 WARNING api: slow response from /users (1.8 s)\n",
    "2026-11-25T10:00:05 ERROR payments: card declined for order 1182\n",
    "this line was cut in half by a crash\n",
    "2026-11-25T10:00:09 INFO api: GET /health 200\n",
    "2026-11-25T10:00:12 CRITICAL db: connection lost",  # the last line has no newline
]
SAMPLE_FIELDS = [
    ("2026-11-25T10:00:00", "INFO", "api", "started on port 8080"),
    ("2026-11-25T10:00:02", "DEBUG", "db", "pool size 4"),
    ("2026-11-25T10:00:03", "WARNING", "api", "slow response from /users (1.8 s)"),
    ("2026-11-25T10:00:05", "ERROR", "payments", "card declined for order 1182"),
    ("2026-11-25T10:00:09", "INFO", "api", "GET /health 200"),
    ("2026-11-25T10:00:12", "CRITICAL", "db", "connection lost"),
]

STOPPED = object()


def expected_entries(levels: tuple[str, ...] | None = None) -> list[Any]:
    return [log_file.LogEntry(*f) for f in SAMPLE_FIELDS if levels is None or f[1] in levels]


def worker_line(number: int) -> str:
    """Line `number` (from 1) of a big generated log: every 50th line is an ERROR."""
    level = "ERROR" if number % 50 == 0 else "INFO"
    return f"2026-11-25T11:{number // 60 % 60:02d}:{number % 60:02d} {level} worker: job {number}\n"


class ProbedReader:
    """An open log that counts every line handed out, and refuses reads once closed."""

    def __init__(self, source: ProbedSource) -> None:
        self._source = source
        self._position = 0
        self.closed = False

    def _take(self) -> str:
        if self.closed:
            raise ValueError(
                "I/O operation on a closed log: the cursor read from its reader after closing it"
            )
        if self._position >= self._source.size:
            return ""
        self._position += 1
        self._source.lines_pulled += 1
        return self._source.line(self._position)

    def readline(self) -> str:
        return self._take()

    # A real file has these too; they let an eager solution run (and be caught) rather
    # than crash on a missing method.
    def readlines(self) -> list[str]:
        return list(iter(self._take, ""))

    def read(self) -> str:
        return "".join(iter(self._take, ""))

    def __iter__(self) -> ProbedReader:
        return self

    def __next__(self) -> str:
        line = self._take()
        if not line:
            raise StopIteration
        return line

    def __enter__(self) -> ProbedReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._source.open_readers -= 1


class ProbedSource:
    """A log source that records how many readers were opened, are still open, and how
    many lines were pulled from them in all."""

    def __init__(self, size: int, line: Callable[[int], str]) -> None:
        self.size = size
        self.line = line
        self.opened = 0
        self.open_readers = 0
        self.lines_pulled = 0

    @classmethod
    def sample(cls) -> ProbedSource:
        return cls(len(SAMPLE_LINES), lambda n: SAMPLE_LINES[n - 1])

    @classmethod
    def big(cls, size: int = 10_000) -> ProbedSource:
        return cls(size, worker_line)

    def open(self) -> ProbedReader:
        self.opened += 1
        self.open_readers += 1
        return ProbedReader(self)


def next_or_stopped(iterator: Iterator[Any]) -> Any:
    try:
        return next(iterator)
    except StopIteration:
        return STOPPED


def take(iterator: Iterator[Any], what: str) -> Any:
    """next(iterator), with an early StopIteration reported as a wrong answer."""
    item = next_or_stopped(iterator)
    assert item is not STOPPED, (
        f"{what} raised StopIteration although the log has more entries; StopIteration means "
        "the end of the log, and only then."
    )
    return item


# ---- step 1: the cursor is an iterator -------------------------------------------------


@pytest.mark.task(1)
def test_cursor_yields_entries_in_order() -> None:
    """A cursor yields one LogEntry per parsable line, in file order, skipping the rest."""
    cursor = log_file.LogCursor(ProbedSource.sample())
    got = []
    while (entry := next_or_stopped(cursor)) is not STOPPED:
        got.append(entry)
        assert len(got) <= len(SAMPLE_FIELDS), (
            f"next(cursor) kept returning entries past the end of a {len(SAMPLE_FIELDS)}-entry "
            f"log (the latest: {entry!r}); at the end __next__ must raise StopIteration."
        )
    why = (
        " Some of them are None: skip the lines parse_line() returns None for (blank, "
        "comment, garbled)."
        if None in got
        else ""
    )
    assert got == expected_entries(), (
        f"calling next() on LogCursor(source) until StopIteration gave {got!r}; expected "
        f"{expected_entries()!r}, the parsable lines in order.{why}"
    )


@pytest.mark.task(1)
def test_cursor_is_its_own_iterator() -> None:
    """iter(cursor) returns the cursor itself, so a for loop continues where it stands."""
    cursor = log_file.LogCursor(ProbedSource.sample())
    again = iter(cursor)
    assert again is cursor, (
        f"iter(cursor) returned {again!r}, not the cursor itself. An iterator's __iter__ "
        "returns self: that is what lets `for entry in cursor:` pick up from the current "
        "position (Python docs, iterator types)."
    )
    first = take(cursor, "next(cursor) on a new cursor")
    rest = list(cursor)
    assert [first, *rest] == expected_entries(), (
        f"next(cursor) then list(cursor) gave {first!r} then {rest!r}; expected the entries "
        "after the first one, each once. A loop over a half-read cursor must continue, not "
        "start over."
    )


@pytest.mark.task(1)
def test_exhausted_cursor_stays_exhausted() -> None:
    """Once a cursor raised StopIteration it raises it on every later next() and never reopens."""
    source = ProbedSource.sample()
    cursor = log_file.LogCursor(source)
    list(cursor)
    for attempt in range(1, 4):
        result = next_or_stopped(cursor)
        reopened = (
            f" The source was opened {source.opened} times: the cursor started over."
            if source.opened > 1
            else ""
        )
        assert result is STOPPED, (
            f"after the cursor reached the end, next() call #{attempt} returned {result!r} "
            "instead of raising StopIteration. An exhausted iterator stays exhausted." + reopened
        )
    again = list(cursor)
    assert again == [], f"list(cursor) on a finished cursor gave {again!r}; expected []."
    assert source.opened == 1, (
        f"one cursor opened the source {source.opened} times; expected once. A cursor is "
        "one reading of the log; a new reading is a new cursor."
    )


@pytest.mark.task(1)
def test_cursor_reads_one_line_at_a_time() -> None:
    """Each next() pulls only the lines it needs from the reader, never the whole log."""
    source = ProbedSource.big(10_000)
    cursor = log_file.LogCursor(source)
    for wanted in (1, 2, 3):
        take(cursor, f"next(cursor) call #{wanted}")
        everything = (
            " That is the whole log: reading every line first holds the whole file in memory."
            if source.lines_pulled >= source.size
            else ""
        )
        assert source.lines_pulled == wanted, (
            f"after {wanted} call(s) of next() on a cursor over a {source.size}-line log, "
            f"{source.lines_pulled} lines had been read; expected {wanted}, one readline() per "
            f"line as it is needed.{everything}"
        )


@pytest.mark.task(1)
def test_cursor_opens_the_source_at_the_first_next() -> None:
    """Creating a cursor (or asking a LogFile for one) opens nothing; the first next() does."""
    source = ProbedSource.sample()
    cursor = log_file.LogCursor(source)
    unused = [iter(log_file.LogFile(source)) for _ in range(3)]
    assert source.opened == 0, (
        f"creating a LogCursor and calling iter() on a LogFile 3 times opened the source "
        f"{source.opened} time(s) before any next(); expected 0: the cursor opens its source "
        "on the first next(), so a cursor nobody reads holds no open reader."
    )
    take(cursor, "next(cursor) on a new cursor")
    assert source.opened == 1 and source.open_readers == 1, (
        f"after the first next() the source had been opened {source.opened} time(s), with "
        f"{source.open_readers} reader(s) open; expected 1 and 1."
    )
    del unused


@pytest.mark.task(1)
def test_cursor_closes_the_reader_at_the_end() -> None:
    """A cursor that reaches the end of the log closes the reader it opened."""
    source = ProbedSource.sample()
    list(log_file.LogCursor(source))
    assert source.open_readers == 0, (
        f"a cursor read the log to the end and left {source.open_readers} reader(s) open; "
        "expected 0. When readline() returns '', close() the reader before raising "
        "StopIteration (a real file handle would stay open otherwise)."
    )


# ---- step 2: the file is an iterable that hands out cursors ----------------------------


@pytest.mark.task(2)
def test_log_file_hands_out_a_new_cursor_each_time() -> None:
    """iter(log) returns a new iterator each call, never the LogFile itself."""
    log = log_file.LogFile(ProbedSource.sample())
    first, second = iter(log), iter(log)
    assert first is not log, (
        "iter(log) returned the LogFile itself: then the file is its own iterator and holds a "
        "single position. An iterable's __iter__ returns a new iterator (a LogCursor)."
    )
    assert first is not second, (
        "two calls of iter(log) returned the same object; each loop needs its own cursor."
    )
    assert iter(first) is first, (
        f"iter(log) returned {first!r}, whose own __iter__ does not return itself: it is not an "
        "iterator. Return a LogCursor."
    )


@pytest.mark.task(2)
def test_log_file_can_be_read_twice() -> None:
    """Two loops over the same LogFile each see every entry."""
    log = log_file.LogFile(ProbedSource.sample())
    first, second = list(log), list(log)
    why = (
        " The second loop came out empty: the file handed out a used-up iterator; __iter__ "
        "must start a new cursor at the top."
        if first == expected_entries() and not second
        else ""
    )
    assert first == expected_entries() and second == expected_entries(), (
        f"list(log) twice gave {len(first)} then {len(second)} entries; expected the "
        f"{len(SAMPLE_FIELDS)} entries both times.{why}"
    )


@pytest.mark.task(2)
def test_cursors_advance_independently() -> None:
    """Two cursors over one LogFile keep their own positions, even in nested loops."""
    log = log_file.LogFile(ProbedSource.sample())
    expected = expected_entries()
    a, b = iter(log), iter(log)
    take(a, "next(a)")
    take(a, "the second next(a)")
    from_b, from_a = take(b, "next(b)"), take(a, "the third next(a)")
    assert (from_b, from_a) == (expected[0], expected[2]), (
        "with a = iter(log), b = iter(log): next(a) twice, then next(b) gave "
        f"{from_b!r} and next(a) gave {from_a!r}; expected the first entry from b and the "
        "third from a. Each cursor needs its own reader and position."
    )
    pairs = sum(1 for _outer in log for _inner in log)
    assert pairs == len(expected) ** 2, (
        f"two nested loops over the same log visited {pairs} pairs of entries; expected "
        f"{len(expected)} x {len(expected)} = {len(expected) ** 2}. The inner loop must not move "
        "the outer loop's cursor."
    )


@pytest.mark.task(2)
def test_log_file_reads_lazily() -> None:
    """Looping over a LogFile reads only as far as the loop has gone."""
    source = ProbedSource.big(10_000)
    cursor = iter(log_file.LogFile(source))
    take(cursor, "next(iter(log))")
    take(cursor, "the second next(iter(log))")
    everything = (
        " That is the whole log: the loop waited for (and held) the whole file."
        if source.lines_pulled >= source.size
        else ""
    )
    assert source.lines_pulled == 2, (
        f"taking 2 entries from iter(log) over a {source.size}-line log read "
        f"{source.lines_pulled} lines; expected 2.{everything}"
    )


# ---- step 3: a lazy, re-iterable filtered view ------------------------------------------


@pytest.mark.task(3)
def test_view_keeps_entries_at_or_above_its_level() -> None:
    """log.at_least(level) yields the entries of that level and the more severe ones, in order."""
    log = log_file.LogFile(ProbedSource.sample())
    for level, kept in [
        ("WARNING", ("WARNING", "ERROR", "CRITICAL")),
        ("DEBUG", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
        ("CRITICAL", ("CRITICAL",)),
    ]:
        got = list(log.at_least(level))
        assert got == expected_entries(kept), (
            f"list(log.at_least({level!r})) gave {got!r}; expected {expected_entries(kept)!r} "
            f"(levels {', '.join(kept)}, in file order). LEVELS lists them from least to most "
            "severe."
        )


@pytest.mark.task(3)
def test_view_can_be_read_twice() -> None:
    """A LevelView, like the file, starts over on every loop."""
    view = log_file.LogFile(ProbedSource.sample()).at_least("ERROR")
    expected = expected_entries(("ERROR", "CRITICAL"))
    first, second = list(view), list(view)
    # Advise the cause only when the observation identifies it: a right first pass and
    # an empty second one is an iterator built once and used up.
    why = (
        " The second loop came out empty: build the filtering iterator inside __iter__, "
        "from a new pass over self.log, not once in __init__."
        if first == expected and not second
        else ""
    )
    assert first == expected and second == expected, (
        f"list(view) twice, for view = log.at_least('ERROR'), gave {first!r} then {second!r};"
        f" expected {expected!r} both times.{why}"
    )


@pytest.mark.task(3)
def test_view_reads_lazily() -> None:
    """Taking the first entry of a view reads the log only up to that entry."""
    source = ProbedSource.big(10_000)
    view = log_file.LogFile(source).at_least("ERROR")
    first = take(iter(view), "next(iter(log.at_least('ERROR')))")
    assert first.message == "job 50", (
        f"the first ERROR entry was {first!r}; expected the one of line 50 ('job 50')."
    )
    everything = (
        " That is the whole log: filter entry by entry (a generator expression or filter()),"
        " not into a list."
        if source.lines_pulled >= source.size
        else ""
    )
    assert source.lines_pulled == 50, (
        f"taking the first ERROR (line 50) from a {source.size}-line log read "
        f"{source.lines_pulled} lines; expected 50.{everything}"
    )
