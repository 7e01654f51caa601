"""Helpers for graders that examine how the learner's call failed, not only that it did."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from .deadlines import within
from .errors import KataProblem


def leaves(error: BaseException) -> list[BaseException]:
    """Every non-group exception inside `error` (itself when it is not a group), in order:
    what a TaskGroup's ExceptionGroup, however nested, is made of."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for sub in error.exceptions for leaf in leaves(sub)]
    return [error]


async def outcome(
    seconds: float, awaitable: Awaitable[Any], what: str, **options: Any
) -> tuple[Any, BaseException | None]:
    """Run the learner's call under `within()`; return (result, None), or (None, the
    exception it raised) for the test to examine. What the engine explains itself ("not
    started", a timeout, a missing name, tasks left running) is raised as usual."""
    try:
        return await within(seconds, awaitable, what=what, **options), None
    except (NotImplementedError, KataProblem):
        raise
    except Exception as error:  # the learner's failure, examined by the test
        return None, error
