"""Probes that prove how concurrently the learner's code ran, with no clock involved.

A fake resource wraps each unit of work in `async with probe:`; afterwards `probe.peak`
is the most units that were in flight at once. Sequential code gives a peak of 1 whatever
the machine's load, so these checks never flake.

Each unit's start and end are also recorded (loop time when on an event loop, else the
monotonic clock), so a failed check can show what ran when:

    assert elapsed == 4, f"took {elapsed:g} s" + probe.timeline(
        expected="ten 1 s downloads, 3 at a time: 4 s"
    )

`async with probe(url):` labels the unit's row (default: `#1`, `#2`... in start order).
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from dataclasses import dataclass
from types import TracebackType
from typing import Any

# The timeline is a few lines of text: at most this many rows and columns of bars.
TIMELINE_ROWS = 12
TIMELINE_COLUMNS = 48


@dataclass
class Span:
    """One unit of work: when it started and ended (None while it runs)."""

    label: str
    start: float
    end: float | None = None


class _Unit:
    """`async with probe(label):` or `with probe(label):`: one labelled unit of work."""

    def __init__(self, probe: InFlight, label: str) -> None:
        self.probe = probe
        self.label = label

    async def __aenter__(self) -> InFlight:
        self.probe.enter(self.label)
        return self.probe

    async def __aexit__(self, *exc_info: object) -> None:
        self.probe.exit()

    def __enter__(self) -> InFlight:
        self.probe.enter(self.label)
        return self.probe

    def __exit__(self, *exc_info: object) -> None:
        self.probe.exit()


class InFlight:
    """Counts units of work in flight on one event loop, and remembers the peak."""

    def __init__(self) -> None:
        self.current = 0
        self.peak = 0
        self.started = 0
        self.finished = 0
        self.spans: list[Span] = []
        self._open: dict[Any, list[Span]] = {}  # who is running which unit, innermost last
        _PROBES.add(self)

    def _now(self) -> float:
        try:
            return asyncio.get_running_loop().time()
        except RuntimeError:  # no loop in this thread
            return time.monotonic()

    @staticmethod
    def _owner() -> Any:
        """What pairs an exit with its enter: the task (or thread) that entered."""
        try:
            task = asyncio.current_task()
        except RuntimeError:
            task = None
        return task if task is not None else threading.get_ident()

    def enter(self, label: str | None = None) -> None:
        self.current += 1
        self.started += 1
        self.peak = max(self.peak, self.current)
        span = Span(label or f"#{self.started}", self._now())
        self.spans.append(span)
        self._open.setdefault(self._owner(), []).append(span)

    def exit(self) -> None:
        self.current -= 1
        self.finished += 1
        owner = self._owner()
        running = self._open.get(owner)
        if running:
            running.pop().end = self._now()
            if not running:
                del self._open[owner]
        else:  # exited elsewhere than entered: close the oldest unit still running
            pending = next((s for s in self.spans if s.end is None), None)
            if pending is not None:
                pending.end = self._now()

    def __call__(self, label: str) -> _Unit:
        return _Unit(self, label)

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

    def timeline(self, expected: str = "", *, unit: str = "s") -> str:
        """What was in flight over time, as text to append to an assertion message: one
        row per unit of work, with the expected shape and the observed one in a line."""
        return render_timeline(self.spans, self._now(), expected, unit, self.peak)


# Every probe alive, so that a deadline can show what was in flight when it struck.
_PROBES: weakref.WeakSet[InFlight] = weakref.WeakSet()


def probe_marks() -> dict[int, int]:
    """How many units each live probe has started so far (for `timelines_since`)."""
    return {id(probe): len(probe.spans) for probe in list(_PROBES)}


def timelines_since(marks: dict[int, int]) -> str:
    """The timeline of the units started since `marks` was taken, for each probe that
    started any: what a call that ran out of time had in flight."""
    texts = []
    for probe in list(_PROBES):
        spans = probe.spans[marks.get(id(probe), 0) :]
        if spans:
            peak = _peak(spans, probe._now())
            texts.append(render_timeline(spans, probe._now(), "", "s", peak))
    return "".join(texts[:2])


def _shape(spans: list[Span], now: float, peak: int) -> str:
    ends = [s.end if s.end is not None else now for s in spans]
    total = max(ends) - min(s.start for s in spans)
    how = "one at a time" if peak == 1 else f"up to {peak} at a time"
    return f"{len(spans)} unit(s) of work, {how}, {total:g} s"


_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10)


def _scale(total: float) -> float:
    """Time per column: the smallest round step that fits the whole run in the width."""
    for step in _STEPS:
        if total / step <= TIMELINE_COLUMNS:
            return float(step)
    return total / TIMELINE_COLUMNS


def render_timeline(
    spans: list[Span], now: float, expected: str = "", unit: str = "s", peak: int = 0
) -> str:
    """The text timeline of `spans` (see `InFlight.timeline`); plain characters only, so it
    reads the same without colour and inside the JSON report."""
    if not spans:
        return "\n\nTimeline: no unit of work was started at all." + (
            f"\nExpected: {expected}." if expected else ""
        )
    origin = min(s.start for s in spans)
    total = max(s.end if s.end is not None else now for s in spans) - origin
    per_column = _scale(total) if total > 0 else 1.0
    columns = max(1, round(total / per_column))
    shown = spans if len(spans) <= TIMELINE_ROWS else spans[: TIMELINE_ROWS - 1]
    width = min(28, max(len(s.label) for s in shown))
    lines = [f"\n\nWhat was in flight over loop time (one column = {per_column:g} {unit}):"]
    # Axis labels every 10 columns (a round number of time steps).
    axis = [" "] * (columns + 10)
    for column in range(0, columns + 1, 10):
        text = f"{column * per_column:g}{unit}"
        if column + len(text) <= len(axis):
            axis[column : column + len(text)] = list(text)
    lines.append(f"  {'':<{width}} |{''.join(axis).rstrip()}")
    for span in shown:
        end = span.end if span.end is not None else now
        first = round((span.start - origin) / per_column)
        last = max(first + 1, round((end - origin) / per_column))
        tail = " (still running)" if span.end is None else ""
        lines.append(f"  {span.label[:width]:<{width}} |{' ' * first}{'=' * (last - first)}{tail}")
    if len(spans) > len(shown):
        lines.append(f"  … {len(spans) - len(shown)} more unit(s) not shown")
    observed = _shape(spans, now, peak or _peak(spans, now))
    lines.append(f"Expected: {expected}; yours: {observed}." if expected else f"Yours: {observed}.")
    return "\n".join(lines)


def _peak(spans: list[Span], now: float) -> int:
    events = sorted(
        [(s.start, 1) for s in spans] + [(s.end if s.end is not None else now, -1) for s in spans],
        key=lambda e: (e[0], e[1]),
    )
    peak = current = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


class ThreadInFlight(InFlight):
    """The same counter for work running on several threads at once (times from the
    monotonic clock, since worker threads have no event loop)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def _now(self) -> float:
        return time.monotonic()

    def enter(self, label: str | None = None) -> None:
        with self._lock:
            super().enter(label)

    def exit(self) -> None:
        with self._lock:
            super().exit()
