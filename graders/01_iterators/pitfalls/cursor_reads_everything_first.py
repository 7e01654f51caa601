"""The cursor reads the whole log into a list on its first next(), "to be fast".

It gives the right entries, but the first entry waits for the last line to be read, and
the whole file sits in memory: a 10 GB log needs 10 GB.
"""

REJECTED_BY = {
    "test_cursor_reads_one_line_at_a_time": "wrong_answer",
    "test_log_file_reads_lazily": "wrong_answer",
}


class LogCursor:
    def __init__(self, source: LogSource) -> None:
        self._source = source
        self._entries: list[LogEntry] | None = None
        self._index = 0

    def __iter__(self) -> LogCursor:
        return self

    def __next__(self) -> LogEntry:
        if self._entries is None:
            reader = self._source.open()
            lines = reader.readlines()
            reader.close()
            self._entries = [e for e in map(parse_line, lines) if e is not None]
        if self._index >= len(self._entries):
            raise StopIteration
        self._index += 1
        return self._entries[self._index - 1]
