"""Finding the learner's own line in a traceback, a task's stack or a suspended coroutine.

Messages name the line the learner wrote (`exercises/03_coroutines/dashboard.py, line 12:
await asyncio.sleep(1)`), never the engine's or asyncio's frames.
"""

from __future__ import annotations

import asyncio
import gc
import linecache
import sys
import threading
import traceback
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .targets import current_target, display_path


@dataclass(frozen=True)
class Location:
    filename: str
    lineno: int
    function: str

    @property
    def source(self) -> str:
        return linecache.getline(self.filename, self.lineno).strip()

    def __str__(self) -> str:
        text = f"{display_path(self.filename)}, line {self.lineno}, in {self.function}()"
        return f"{text}: {self.source}" if self.source else text


# (target root, filename) -> whether it is a learner's file. Resolving a path stats every
# component, and each stat gives up the GIL: a watchdog thread asking about every frame of
# a stack while the loop thread spins in `while True` waited seconds to get it back.
_LEARNER_FILES: dict[tuple[str, str], bool] = {}


def is_learner_file(filename: str) -> bool:
    """Whether `filename` is one of the learner's files in the tree being graded."""
    target = current_target()
    key = (str(target.root), filename)
    known = _LEARNER_FILES.get(key)
    if known is None:
        known = _LEARNER_FILES[key] = target.contains(filename)
    return known


_is_learner = is_learner_file


def learner_frames(frames: Iterable[traceback.FrameSummary]) -> list[Location]:
    return [Location(f.filename, f.lineno or 0, f.name) for f in frames if _is_learner(f.filename)]


def learner_frames_of(exc: BaseException) -> list[Location]:
    """The learner's frames in an exception's traceback, outermost first."""
    return learner_frames(traceback.extract_tb(exc.__traceback__))


def _frame_location(frame: types.FrameType) -> Location:
    return Location(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


def innermost_learner_frame(frame: types.FrameType | None) -> Location | None:
    """The learner's innermost line in a thread's stack, from its current frame. Walks the
    frames directly: `traceback.extract_stack` stats every file of the stack."""
    while frame is not None:
        if _is_learner(frame.f_code.co_filename):
            return _frame_location(frame)
        frame = frame.f_back
    return None


def awaiting_chain(awaitable: Any) -> list[Location]:
    """Where a suspended coroutine is waiting, following `await` down to the innermost frame."""
    chain: list[Location] = []
    seen: set[int] = set()
    current = awaitable
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frame = getattr(current, "cr_frame", None) or getattr(current, "ag_frame", None)
        if frame is None:
            frame = getattr(current, "gi_frame", None)
        if frame is not None:
            chain.append(_frame_location(frame))
        if isinstance(current, asyncio.Task):
            current = current.get_coro()
            continue
        following = (
            getattr(current, "cr_await", None)
            or getattr(current, "ag_await", None)
            or getattr(current, "gi_yieldfrom", None)
        )
        if following is None and frame is None:
            following = _generator_behind(current)
        current = following
    return chain


def _generator_behind(awaitable: Any) -> Any:
    """The async generator behind an `asend()`/`athrow()` awaitable (what `async for`
    awaits), which exposes it only as a reference."""
    if type(awaitable).__name__ not in ("async_generator_asend", "async_generator_athrow"):
        return None
    for referent in gc.get_referents(awaitable):
        if isinstance(referent, types.AsyncGeneratorType):
            return referent
    return None


def where_waiting(task: asyncio.Task[Any], *, follow_others: bool = False) -> Location | None:
    """The learner's line where a stuck task waits.

    With `follow_others`, a task waiting on gather() or on tasks it started is stuck
    wherever those are, so the learner's frames in other pending tasks win.
    """
    own = [loc for loc in awaiting_chain(task) if _is_learner(loc.filename)]
    if not follow_others:
        return own[-1] if own else None
    for other in asyncio.all_tasks():
        if other is task or other.done():
            continue
        found = [loc for loc in awaiting_chain(other) if _is_learner(loc.filename)]
        if found and (not own or found[-1] != own[-1]):
            return found[-1]
    return own[-1] if own else None


def created_at(task: asyncio.Task[Any]) -> Location | None:
    """The learner's line that created a task (needs the loop's debug mode at creation)."""
    stack = getattr(task, "_source_traceback", None) or []
    found = learner_frames(stack)
    return found[-1] if found else None


def learner_line_in_other_threads() -> Location | None:
    """The learner's innermost line in a thread other than this one: where work handed to
    a thread (to_thread, an executor) is stuck while the test waits for it."""
    current = threading.get_ident()
    for ident, frame in sys._current_frames().items():
        if ident == current:
            continue
        found = innermost_learner_frame(frame)
        if found:
            return found
    return None


def learner_line_in_tasks(loop: asyncio.AbstractEventLoop) -> Location | None:
    """The learner's innermost line in any pending task of a (stopped) loop."""
    for task in asyncio.all_tasks(loop):
        found = [loc for loc in awaiting_chain(task) if _is_learner(loc.filename)]
        if found:
            return found[-1]
    return None
