"""The LevelView builds its filtering iterator once, in __init__, and returns it every time.

The first loop uses it up; every later loop over the view is empty, although the log
itself could be read again.
"""

REJECTED_BY = {"test_view_can_be_read_twice": "wrong_answer"}


class LevelView:
    def __init__(self, log: Iterable[LogEntry], level: str) -> None:
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}")
        self.log = log
        self.level = level
        threshold = LEVELS.index(level)
        self._entries = filter(lambda e: LEVELS.index(e.level) >= threshold, log)

    def __iter__(self) -> Iterator[LogEntry]:
        return self._entries
