"""The cursor uses `_reader is None` for both "not opened yet" and "finished".

After the end it drops its reader, so the next call to next() thinks it has not started
and reopens the log: an exhausted iterator that comes back to life.
"""

REJECTED_BY = {"test_exhausted_cursor_stays_exhausted": "wrong_answer"}


class LogCursor:
    def __init__(self, source: LogSource) -> None:
        self._source = source
        self._reader: LineReader | None = None

    def __iter__(self) -> LogCursor:
        return self

    def __next__(self) -> LogEntry:
        if self._reader is None:
            self._reader = self._source.open()
        while True:
            line = self._reader.readline()
            if not line:
                self._reader.close()
                self._reader = None
                raise StopIteration
            entry = parse_line(line)
            if entry is not None:
                return entry
