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
        # Two separate pieces of state: "no reader yet" and "finished" both look like
        # `_reader is None`, and confusing them would reopen the log after the end.
        self._reader: LineReader | None = None
        self._finished = False

    def __iter__(self) -> LogCursor:
        """Return the cursor itself: an iterator is its own iterable.

        Returns:
            `self`, so that `for entry in cursor:` continues from where the cursor is.

        Example:
            >>> cursor = LogCursor(MemoryLog(""))
            >>> iter(cursor) is cursor
            True
        """
        # Returning self (and not a new cursor) is what makes this an iterator: a `for`
        # loop over a half-read cursor carries on from the current position.
        return self

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
        if self._finished:
            # The iterator protocol: once exhausted, always exhausted.
            raise StopIteration
        if self._reader is None:
            self._reader = self._source.open()
        while True:
            # One line per readline(): only what this next() needs is read, so a
            # huge log costs no more memory than a short one.
            line = self._reader.readline()
            if not line:  # "" is the end; an empty line in the log is "\n"
                # Close the reader as soon as we know we are done with it, and forget
                # it: a finished cursor holds no open file.
                self._reader.close()
                self._reader = None
                self._finished = True
                raise StopIteration
            entry = parse_line(line)
            if entry is not None:
                return entry


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
        threshold = LEVELS.index(self.level)
        # A new pass over `self.log` per call (iter(self.log) asks the LogFile for a
        # fresh cursor), so the view is re-iterable like the file; and a generator
        # expression pulls one entry at a time, so the view is as lazy as the cursor.
        return (entry for entry in self.log if LEVELS.index(entry.level) >= threshold)


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
        # The file holds no position of its own: each loop gets its own cursor, so two
        # loops (even nested ones) never disturb each other, and the file can be read
        # again after a loop ends.
        return LogCursor(self.source)

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
