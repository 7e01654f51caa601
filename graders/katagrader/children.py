"""The tasks a learner's call started, checked at the instant the call returns or raises.

pyleak looks for pending tasks 10 ms after the test body, by which time a task that was
cancelled but never awaited has already unwound: `for t in workers: t.cancel()` followed
by `return report` passes it, although the workers were still running when `crawl()`
returned (the very bug of the mCoding crawler). This check is made in the same step of the
event loop as the learner's `return` (or `raise`), before the loop runs anything else.

How a task is tied to a call: `within()` runs the call in a context holding a `CallScope`,
every task created in that context (or in a task created there, and so on) inherits it,
and a task factory installed around each grader test records the task in every scope it
sees. Only tasks that the learner's own code asked for are recorded (directly, or through
`gather`, `TaskGroup`, `as_completed` and the like); a task that one of the grader's
fakes starts is the grader's business.

What is found is not raised at once: it joins the test's findings, so the test goes on to
check the call's result, its own failure (if any) is shown first, and a test that would
otherwise pass fails with the finding as its verdict (kind `leak`).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import sys
import sysconfig
import types
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .errors import LeakDetected
from .locations import Location, is_learner_file

_STDLIB = os.path.normcase(sysconfig.get_paths()["stdlib"])


@dataclass
class CallScope:
    """The tasks the learner's code started during one call, with the line of each."""

    what: str
    started: list[tuple[asyncio.Task[Any], Location]] = field(default_factory=list)

    def unfinished(self) -> list[tuple[asyncio.Task[Any], Location]]:
        return [(task, where) for task, where in self.started if not task.done()]


_SCOPES: contextvars.ContextVar[tuple[CallScope, ...]] = contextvars.ContextVar(
    "katagrader_call_scopes", default=()
)


@dataclass
class Findings:
    """Where the checks made during one grader test put what they found: the messages,
    and the tasks already named in them (so the end-of-test leak check does not name them
    a second time)."""

    messages: list[str]
    reported: weakref.WeakSet[asyncio.Task[Any]] = field(default_factory=weakref.WeakSet)


_FINDINGS: contextvars.ContextVar[Findings | None] = contextvars.ContextVar(
    "katagrader_test_findings", default=None
)


@contextmanager
def collecting_findings(findings: Findings) -> Iterator[None]:
    """Send the findings of checks made in this context (and the tasks it starts) to
    `findings`, for one grader test."""
    token = _FINDINGS.set(findings)
    try:
        yield
    finally:
        _FINDINGS.reset(token)


def _learner_creation_line(frame: types.FrameType | None) -> Location | None:
    """The learner's line that asked for a task, when the first frame outside the standard
    library (asyncio's `create_task`, `gather`, `TaskGroup`...) is theirs."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename == __file__ or _in_stdlib(filename):
            frame = frame.f_back  # asyncio's create_task, gather, TaskGroup...: look further out
            continue
        if _is_learner(filename):
            return Location(filename, frame.f_lineno, frame.f_code.co_name)
        return None  # the grader's code, or a library's: not the learner's task
    return None


# Every task creation walks a few frames: remember the answer per file (resolving a path
# costs more than the rest of the walk).
_STDLIB_FILES: dict[str, bool] = {}


def _in_stdlib(filename: str) -> bool:
    known = _STDLIB_FILES.get(filename)
    if known is None:
        known = _STDLIB_FILES[filename] = os.path.normcase(filename).startswith(_STDLIB)
    return known


_is_learner = is_learner_file  # cached per file (locations.py)


TaskFactory = Callable[..., "asyncio.Future[Any]"]


@contextmanager
def tracking_tasks(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Install, for one grader test, the task factory that records tasks into call scopes
    (chained to any factory already set, and restored afterwards)."""
    previous: TaskFactory | None = loop.get_task_factory()

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Future[Any]:
        task = (
            previous(loop, coro, **kwargs)
            if previous is not None
            else asyncio.Task(coro, loop=loop, **kwargs)
        )
        scopes = _SCOPES.get()
        if scopes and isinstance(task, asyncio.Task):
            where = _learner_creation_line(sys._getframe(1))
            if where is not None:
                for scope in scopes:
                    scope.started.append((task, where))
        return task

    loop.set_task_factory(factory)
    try:
        yield
    finally:
        if loop.get_task_factory() is factory:
            loop.set_task_factory(previous)


def enter_scope(what: str) -> CallScope:
    """Open a scope in the current context (call it at the top of the task that runs the
    learner's call): tasks created from here on, at any depth, are recorded in it."""
    scope = CallScope(what)
    _SCOPES.set((*_SCOPES.get(), scope))
    return scope


def _task_name(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", None) or type(coro).__name__
    return f"{name}()"


def check_finished(scope: CallScope, outcome: str) -> None:
    """Note every task the call started that is not done at this instant: in the test's
    findings during a grader test, else (outside one) by raising LeakDetected."""
    unfinished = scope.unfinished()
    if not unfinished:
        return
    cancelled = [task for task, _ in unfinished if task.cancelling()]
    groups = Counter(
        (_task_name(task), str(where), bool(task.cancelling())) for task, where in unfinished
    )
    lines = [
        f"    {count} x {name}"
        + (" (cancelled, still unwinding)" if was_cancelled else "")
        + f", created at {where}"
        for (name, where, was_cancelled), count in groups.items()
    ]
    advice = (
        "Cancelling a task only asks it to stop: it ends later, at its next `await`. Await "
        "the tasks you cancelled (`await asyncio.gather(*tasks, return_exceptions=True)`) "
        "before you return."
        if cancelled
        else "Every task you start must be finished (awaited) or cancelled and awaited "
        "before you return; `async with asyncio.TaskGroup()` does both for you."
    )
    message = (
        f"TASKS STILL RUNNING: `{scope.what}` {outcome} while {len(unfinished)} task(s) it "
        "started were still running:\n" + "\n".join(lines) + f"\n{advice}"
    )
    findings = _FINDINGS.get()
    if findings is None:
        raise LeakDetected(message)
    findings.messages.append(message)
    findings.reported.update(task for task, _ in unfinished)
