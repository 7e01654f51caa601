"""The view compares levels as strings: "ERROR" >= "WARNING" is False, alphabetically.

Alphabetical order (CRITICAL, DEBUG, ERROR, INFO, WARNING) is not severity order; the
position in LEVELS is.
"""

REJECTED_BY = {"test_view_keeps_entries_at_or_above_its_level": "wrong_answer"}


class LevelView:
    def __init__(self, log: Iterable[LogEntry], level: str) -> None:
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}")
        self.log = log
        self.level = level

    def __iter__(self) -> Iterator[LogEntry]:
        return (entry for entry in self.log if entry.level >= self.level)
