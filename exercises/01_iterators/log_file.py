"""Read a service log lazily, with as many independent cursors as you like.

A `LogFile` is an *iterable*: every `for` loop over it asks for a fresh `LogCursor`, so
the file can be read twice, or in two nested loops, and each loop starts at the top. A
`LogCursor` is an *iterator*: it remembers where it is, reads one line per `next()`, and
once it reaches the end it stays there.

1. `LogCursor.__iter__` and `LogCursor.__next__`: the cursor is its own iterator; each
   `next()` reads lines until one parses and returns its `LogEntry`; at the end it closes
   the reader and raises `StopIteration`, and keeps raising it.
2. `LogFile.__iter__`: hand out a new `LogCursor` on every call.
3. `LevelView.__iter__`: iterate lazily over the entries at or above the view's level,
   again and again.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class LogEntry:
    """One parsed log line: `2026-11-25T10:00:05 ERROR payments: card declined`."""

    timestamp: str
    level: str
    source: str
    message: str


def parse_line(line: str) -> LogEntry | None:
    """Parse one line of the log.

    Args:
        line: `"<timestamp> <LEVEL> <source>: <message>"`, with or without its newline.

    Returns:
        The `LogEntry`, or None for a blank line, a `#` comment or a garbled line.

    Example:
        >>> parse_line("2026-11-25T10:00:05 ERROR payments: card declined\\n").level
        'ERROR'
    """
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    parts = text.split(" ", 2)
    if len(parts) != 3:
        return None
    timestamp, level, rest = parts
    source, separator, message = rest.partition(": ")
    if level not in LEVELS or not separator or not source:
        return None
    return LogEntry(timestamp, level, source, message)


class LineReader(Protocol):
    """An open log: `readline()` returns the next line, or "" at the end, like a file."""

    def readline(self) -> str: ...
    def close(self) -> None: ...


class LogSource(Protocol):
    """Where a log lives; every `open()` gives a new reader positioned at the first line."""

    def open(self) -> LineReader: ...


class MemoryLog:
    """A log held in memory (a stand-in for a file on disk)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def open(self) -> io.StringIO:
        return io.StringIO(self.text)


class LogCursor:
    """A position in one reading of a log: an iterator of `LogEntry`.

    The source is opened at the first `next()`, so creating a cursor costs nothing.
    """

    def __init__(self, source: LogSource) -> None:
        self._source = source
        # TODO: add the state your cursor needs to remember between two next() calls.

    def __iter__(self) -> LogCursor:
        """Return the cursor itself: an iterator is its own iterable.

        Returns:
            `self`, so that `for entry in cursor:` continues from where the cursor is.

        Example:
            >>> cursor = LogCursor(MemoryLog(""))
            >>> iter(cursor) is cursor
            True
        """
        # TODO: what does an iterator return from __iter__?
        raise NotImplementedError("LogCursor.__iter__: return the cursor itself (step 1)")

    def __next__(self) -> LogEntry:
        """Read lines until one parses, and return its entry.

        Returns:
            The next `LogEntry`; blank, comment and garbled lines are skipped.

        Raises:
            StopIteration: at the end of the log, and on every call after that.

        Example:
            >>> next(LogCursor(MemoryLog("2026-11-25T10:00:00 INFO api: up\\n"))).message
            'up'
        """
        # TODO: open the source on the first call, read lines until one parses, close the
        # reader at the end and raise StopIteration (again on every later call).
        raise NotImplementedError("LogCursor.__next__: return the next entry or stop (step 1)")


class LevelView:
    """The entries of a log at or above a level: `log.at_least("ERROR")`."""

    def __init__(self, log: Iterable[LogEntry], level: str) -> None:
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
        self.log = log
        self.level = level

    def __iter__(self) -> Iterator[LogEntry]:
        """Iterate over the entries at or above `self.level`, lazily, from the top.

        Returns:
            A new iterator on every call; it reads the log only as far as it is advanced.

        Example:
            >>> log = LogFile(MemoryLog("2026-11-25T10:00:00 ERROR db: down\\n"))
            >>> [e.source for e in log.at_least("WARNING")]
            ['db']
        """
        # TODO: a new lazy iterator over the entries at or above self.level, on every call.
        raise NotImplementedError("LevelView.__iter__: filter the entries lazily (step 3)")


class LogFile:
    """A log that can be read any number of times: an iterable of `LogEntry`."""

    def __init__(self, source: LogSource) -> None:
        self.source = source

    def __iter__(self) -> LogCursor:
        """Start a new reading of the log.

        Returns:
            A new `LogCursor` at the first line, independent of every other cursor.

        Example:
            >>> log = LogFile(MemoryLog("2026-11-25T10:00:00 INFO api: up\\n"))
            >>> iter(log) is iter(log)
            False
        """
        # TODO: hand out a new cursor on every call.
        raise NotImplementedError("LogFile.__iter__: hand out a new LogCursor (step 2)")

    def at_least(self, level: str) -> LevelView:
        """A view of the entries at `level` or above (see `LEVELS`)."""
        return LevelView(self, level)


SAMPLE = """\
# api-gateway, rotated 2026-11-25
2026-11-25T10:00:00 INFO api: started on port 8080
2026-11-25T10:00:02 DEBUG db: pool size 4
2026-11-25T10:00:03 WARNING api: slow response from /users (1.8 s)
2026-11-25T10:00:05 ERROR payments: card declined for order 1182

2026-11-25T10:00:09 INFO api: GET /health 200
2026-11-25T10:00:12 CRITICAL db: connection lost
"""


def main() -> None:
    log = LogFile(MemoryLog(SAMPLE))
    print(f"{sum(1 for _ in log)} entries, and again: {sum(1 for _ in log)}")
    for entry in log.at_least("ERROR"):
        print(f"{entry.timestamp} {entry.level:<8} {entry.source}: {entry.message}")


if __name__ == "__main__":
    main()
