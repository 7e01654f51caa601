"""Stopping a test whose event loop is blocked, instead of waiting out its time limit.

pyleak's watchdog reports a loop blocked for more than 0.3 s, but only once the block ends:
`time.sleep(3600)` or a busy `while True: pass` in a coroutine would keep the test until
pytest-timeout strikes (20 s), and every later test that reaches the same line would wait
as long again. A loop held for `STOP_AFTER_SECONDS` of real time is far beyond what any
grader test needs (the fake-clock ones take milliseconds), and the test has failed already
(the block is over the threshold): the stopper interrupts it there, naming the line.

When a second test blocks at the same line, grading of the kata stops: the remaining tests
fail at once with one sentence instead of repeating the same block.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, ClassVar

from .errors import DeadlineExceeded, LeakDetected
from .locations import Location, innermost_learner_frame

# Real seconds the loop may stay blocked before the test is stopped (the blocking check
# fails a test from 0.3 s on, so nothing that passes is ever stopped).
STOP_AFTER_SECONDS = 1.0
# A line that already blocked the loop in an earlier test is stopped sooner: held this
# long there, it is the same block again (the blocking check's own threshold).
KNOWN_LINE_SECONDS = 0.3
# How often the watchdog checks that the loop still answers.
_POLL_SECONDS = 0.05
THREAD_NAME = "katagrader-loop-stopper"
# The runner recognises a kata whose grading was cut short by this sentence.
GRADING_STOPPED = "Grading of this kata stopped here"
_SIGNAL = getattr(signal, "SIGUSR1", None)


class LoopStopped(BaseException):
    """Raised in the learner's blocking line. A BaseException, so that neither the
    learner's `except Exception` nor a grader's outcome helper swallows it."""


class _State:
    """What this grading process has seen: where each block was, and whether grading stops."""

    # learner line (None: outside the learner's files) -> the test that blocked there
    blocked_at: ClassVar[dict[Location | None, str]] = {}
    stop_reason: ClassVar[str | None] = None


def stop_reason() -> str | None:
    """Set once grading of this kata has been stopped; every later test fails with it."""
    return _State.stop_reason


def not_run_error() -> LeakDetected:
    return LeakDetected(f"NOT RUN: {_State.stop_reason}")


class LoopStopper:
    """A watchdog thread that pings the loop; if a ping waits `seconds` of real time, it
    records the learner's line the loop thread is at and raises LoopStopped there.
    `threshold` is the test's blocking threshold: a block it allows is never stopped."""

    def __init__(self, loop: Any, threshold: float = KNOWN_LINE_SECONDS) -> None:
        self.loop = loop
        self.seconds = max(STOP_AFTER_SECONDS, 3 * threshold)
        self.known_line_seconds = max(KNOWN_LINE_SECONDS, threshold)
        self.where: Location | None = None
        self.fired = False
        self.held_for = 0.0
        self._done = threading.Event()
        self._answered = threading.Event()
        self._armed = False
        self._main = threading.get_ident()
        self._thread = threading.Thread(target=self._watch, name=THREAD_NAME, daemon=True)

    @property
    def supported(self) -> bool:
        return _SIGNAL is not None and threading.current_thread() is threading.main_thread()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._armed and self.fired:
            self._armed = False
            raise LoopStopped(f"the event loop was blocked for {self.held_for:.1f} s")

    def _watch(self) -> None:
        while not self._done.is_set():
            answered = self._answered = threading.Event()
            posted = time.monotonic()
            try:
                self.loop.call_soon_threadsafe(answered.set)
            except RuntimeError:  # the loop was closed
                return
            while not answered.wait(_POLL_SECONDS):
                if self._done.is_set():
                    return
                held = time.monotonic() - posted
                known = held > self.known_line_seconds and self._known_line()
                if held > self.seconds or known:
                    self._fire(held)
                    return
            self._done.wait(_POLL_SECONDS)

    def _known_line(self) -> bool:
        where = innermost_learner_frame(sys._current_frames().get(self._main))
        return where is not None and where in _State.blocked_at

    def _fire(self, held: float) -> None:
        self.held_for = held
        self.where = innermost_learner_frame(sys._current_frames().get(self._main))
        self.fired = True
        if self._armed and _SIGNAL is not None:
            signal.pthread_kill(self._main, _SIGNAL)

    @contextmanager
    def armed(self) -> Iterator[None]:
        """Watch the loop while the test body runs (where signals reach the main thread)."""
        if not self.supported or _SIGNAL is None:
            yield
            return
        previous = signal.signal(_SIGNAL, self._on_signal)
        self._armed = True
        self._thread.start()
        try:
            yield
        finally:
            self._armed = False
            self._done.set()
            self._answered.set()  # wakes the watchdog at once
            self._thread.join()
            signal.signal(_SIGNAL, previous)

    def verdict(self, test_name: str) -> DeadlineExceeded:
        """The test's verdict once the stopper fired (a time limit on the held loop, so of
        the timeout kind); the second block at the same line also stops the kata."""
        line = str(self.where) if self.where else "a line outside your files"
        first = _State.blocked_at.get(self.where)
        if first is not None:
            # The line was named with the first block: say the rest once, briefly.
            _State.stop_reason = (
                f"grading stopped after the event loop was blocked at the same line in "
                f"{first} and {test_name}. Fix that line, then grade again."
            )
            return DeadlineExceeded(
                f"BLOCKED EVENT LOOP again, at the same line as in {first}. {GRADING_STOPPED}: "
                "the remaining checks would block there too."
            )
        _State.blocked_at[self.where] = test_name
        return DeadlineExceeded(
            f"BLOCKED EVENT LOOP: the event loop was still blocked after {self.held_for:.1f} s "
            f"of real time at {line}, so the test was stopped there (no check needs the loop "
            "held that long).\n"
            "While a coroutine runs without reaching an `await`, nothing else on the loop "
            "can run: no other task, no timeout, no I/O. Use the async version (`await "
            "asyncio.sleep()`), or move blocking work to a thread with `await "
            "asyncio.to_thread(...)`."
        )
