"""The failures a grader reports in plain words, each tagged with a verdict kind.

A `KataProblem` is raised by the engine (not by the learner's code) when it has already
worked out what went wrong; the plugin shows its message instead of a traceback.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """Why a test ended the way it did; stable strings, used in the JSON report."""

    PASSED = "passed"
    NOT_STARTED = "not_started"  # the learner's code still raises NotImplementedError
    LOAD_ERROR = "load_error"  # the exercise file does not import (syntax error, crash)
    MISSING_NAME = "missing_name"  # a function or class the grader needs is not defined
    WRONG_ANSWER = "wrong_answer"  # an assertion about the behaviour failed
    EXCEPTION = "exception"  # the learner's code raised something unexpected
    TIMEOUT = "timeout"  # a deadline or the per-test time limit ran out
    LEAK = "leak"  # tasks, threads, a blocked loop, unawaited coroutines
    SKIPPED = "skipped"
    GRADER_ERROR = "grader_error"  # the grader itself could not run (not the learner's fault)
    CRASHED = "crashed"  # the grading process died or was killed (runner only)


class KataProblem(Exception):
    """A failure the engine has already explained; `str()` is the learner-facing message."""

    kind: Kind = Kind.WRONG_ANSWER

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LoadFailed(KataProblem):
    kind = Kind.LOAD_ERROR


class MissingName(KataProblem, AttributeError):
    kind = Kind.MISSING_NAME


class DeadlineExceeded(KataProblem):
    kind = Kind.TIMEOUT


class LeakDetected(KataProblem):
    kind = Kind.LEAK


class NotStarted(KataProblem):
    """The learner's code has not been written yet, seen where no traceback of theirs is
    at hand (a program the grader ran in a subprocess stopped with NotImplementedError)."""

    kind = Kind.NOT_STARTED
