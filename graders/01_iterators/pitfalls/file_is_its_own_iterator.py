"""The LogFile returns itself from __iter__: one position shared by every loop.

A file that is its own iterator can be read only once (the second loop finds it already
at the end), and two loops over it steal entries from each other.
"""

REJECTED_BY = {
    "test_log_file_hands_out_a_new_cursor_each_time": "wrong_answer",
    "test_log_file_can_be_read_twice": "wrong_answer",
    "test_cursors_advance_independently": "wrong_answer",
}


class LogFile:
    def __init__(self, source: LogSource) -> None:
        self.source = source
        self._cursor = LogCursor(source)

    def __iter__(self) -> LogFile:
        return self

    def __next__(self) -> LogEntry:
        return next(self._cursor)

    def at_least(self, level: str) -> LevelView:
        return LevelView(self, level)
