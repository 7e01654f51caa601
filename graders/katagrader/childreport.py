"""Checking the report a grading process wrote (collector.py's format) before judging it.

The process runs the learner's code, so its report is the learner's word too: anything
the judge reads must have the right type, or one forged file (a string where a number
belongs) would crash the grading of everyone after it. A report that fails these checks
makes its kata CRASHED, with the reason; it is never guessed at.
"""

from __future__ import annotations

from typing import Any

MAX_TESTS = 2_000
MAX_TEXT = 200_000
_PHASES = {"setup", "call", "teardown"}
_OUTCOMES = {"passed", "failed", "skipped"}
_KINDS = {
    "passed", "not_started", "load_error", "missing_name", "wrong_answer", "exception",
    "timeout", "leak", "skipped", "grader_error", "crashed",
}  # fmt: skip
_TEST_FIELDS: dict[str, tuple[type, ...]] = {
    "nodeid": (str,),
    "kata": (str,),
    "test": (str,),
    "phase": (str,),
    "outcome": (str,),
    "kind": (str,),
    "message": (str,),
    "duration": (int, float),
}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def problem(report: Any) -> str | None:
    """None when `report` has the shape the judge relies on, else what is wrong."""
    if not isinstance(report, dict):
        return f"the report is a {type(report).__name__}, not an object"
    if not isinstance(report.get("complete"), bool):
        return "`complete` is not true or false"
    exitstatus = report.get("exitstatus")
    if exitstatus is not None and (not isinstance(exitstatus, int) or isinstance(exitstatus, bool)):
        return "`exitstatus` is not a whole number"
    collected = report.get("collected")
    if not isinstance(collected, int) or isinstance(collected, bool) or collected < 0:
        return "`collected` is not a whole number"
    running = report.get("running")
    if running is not None and not isinstance(running, str):
        return "`running` is not text"
    tests = report.get("tests")
    if not isinstance(tests, list) or len(tests) > MAX_TESTS:
        return "`tests` is not a list of test records"
    for index, test in enumerate(tests):
        if not isinstance(test, dict):
            return f"test record {index} is not an object"
        for name, types in _TEST_FIELDS.items():
            value = test.get(name)
            if not isinstance(value, types) or isinstance(value, bool):
                return f"test record {index}: `{name}` is missing or has the wrong type"
            if isinstance(value, str) and len(value) > MAX_TEXT:
                return f"test record {index}: `{name}` is too long"
        task = test.get("task")
        if task is not None and (not isinstance(task, int) or isinstance(task, bool)):
            return f"test record {index}: `task` is not a whole number"
        if test["phase"] not in _PHASES or test["outcome"] not in _OUTCOMES:
            return f"test record {index}: unknown phase or outcome"
        if test["kind"] not in _KINDS:
            return f"test record {index}: unknown kind {test['kind'][:40]!r}"
        if not _number(test["duration"]) or test["duration"] < 0:
            return f"test record {index}: `duration` is not a positive number"
    errors = report.get("errors", [])
    if not isinstance(errors, list) or not all(
        isinstance(e, dict) and isinstance(e.get("message"), str) for e in errors
    ):
        return "`errors` is not a list of error records"
    return None
