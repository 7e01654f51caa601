"""Probes that prove how concurrently the learner's code ran, with no clock involved.

A fake resource wraps each unit of work in `async with probe:`; afterwards `probe.peak`
is the most units that were in flight at once. Sequential code gives a peak of 1 whatever
the machine's load, so these checks never flake.
"""

from __future__ import annotations

import threading
from types import TracebackType


class InFlight:
    """Counts units of work in flight on one event loop, and remembers the peak."""

    def __init__(self) -> None:
        self.current = 0
        self.peak = 0
        self.started = 0
        self.finished = 0

    def enter(self) -> None:
        self.current += 1
        self.started += 1
        self.peak = max(self.peak, self.current)

    def exit(self) -> None:
        self.current -= 1
        self.finished += 1

    async def __aenter__(self) -> InFlight:
        self.enter()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.exit()

    def __enter__(self) -> InFlight:
        self.enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.exit()


class ThreadInFlight(InFlight):
    """The same counter for work running on several threads at once."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            super().enter()

    def exit(self) -> None:
        with self._lock:
            super().exit()
