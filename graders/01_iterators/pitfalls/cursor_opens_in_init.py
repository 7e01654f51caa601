"""The cursor opens its source in __init__, "to be ready": every cursor holds a reader.

A cursor that is created but never read (`iter(log)` handed to code that returns early)
keeps a reader open that nothing will ever close; the README says the first next() opens.
"""

REJECTED_BY = {"test_cursor_opens_the_source_at_the_first_next": "wrong_answer"}


class LogCursor:
    def __init__(self, source: LogSource) -> None:
        self._reader: LineReader | None = source.open()

    def __iter__(self) -> LogCursor:
        return self

    def __next__(self) -> LogEntry:
        if self._reader is None:
            raise StopIteration
        while True:
            line = self._reader.readline()
            if not line:
                self._reader.close()
                self._reader = None
                raise StopIteration
            entry = parse_line(line)
            if entry is not None:
                return entry
