"""Turning the way a test failed into a verdict: a kind and a message a learner can act on."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from .errors import KataProblem, Kind
from .locations import Location, learner_frames_of
from .targets import current_target, display_path


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    message: str


def _readme(kata: str) -> str:
    return display_path(current_target().root / kata / "README.md")


def _step_text(step: int | None) -> str:
    return f"step {step} of " if step else ""


def _assertion_text(exc: AssertionError) -> str:
    """The grader's sentence, without pytest's re-evaluation of the expression below it."""
    text = str(exc)
    message, sep, _explanation = text.partition("\nassert ")
    return message.strip() if sep and message.strip() else text.strip() or "an assertion failed"


def is_timeout(exc: BaseException) -> bool:
    # pytest-timeout fails the test with `pytest.fail("Timeout >Ns")`.
    return type(exc).__name__ == "Failed" and str(exc).startswith("Timeout")


def _most_telling(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The exception in a group (a TaskGroup's) that best explains the failure."""
    leaves: list[BaseException] = []

    def flatten(e: BaseException) -> None:
        if isinstance(e, BaseExceptionGroup):
            for inner in e.exceptions:
                flatten(inner)
        else:
            leaves.append(e)

    flatten(group)
    for wanted in (KataProblem, NotImplementedError, AssertionError):
        for leaf in leaves:
            if isinstance(leaf, wanted):
                return leaf
    return leaves[0] if len(leaves) == 1 else group


def classify(
    exc: BaseException, kata: str, step: int | None, stuck_at: Location | None = None
) -> Verdict:
    """Explain why a test failed, naming the learner's line where there is one.

    `stuck_at` is where the learner's code was found waiting when a time limit struck
    outside it (a suspended task, a worker thread)."""
    if isinstance(exc, BaseExceptionGroup):
        telling = _most_telling(exc)
        if telling is not exc:
            return classify(telling, kata, step, stuck_at)
    if isinstance(exc, KataProblem):
        return Verdict(exc.kind, exc.message)

    frames = learner_frames_of(exc)
    innermost: Location | None = frames[-1] if frames else None

    if isinstance(exc, NotImplementedError) and innermost is not None:
        return Verdict(
            Kind.NOT_STARTED,
            f"NOT STARTED: `{innermost.function}` in {display_path(innermost.filename)} (line "
            f"{innermost.lineno}) still raises NotImplementedError. Read {_step_text(step)}"
            f"{_readme(kata)}, then replace the `raise NotImplementedError(...)` with your code.",
        )
    if is_timeout(exc):
        where = f" It was running {innermost}." if innermost else ""
        if not innermost and stuck_at:
            where = f" Your code was stuck at {stuck_at}."
        return Verdict(
            Kind.TIMEOUT,
            f"TIME LIMIT: the test did not finish in time ({exc}).{where}\n"
            "Look for a loop that never ends or a call that never returns, such as "
            "`time.sleep()` or a busy `while` loop inside a coroutine.",
        )
    if isinstance(exc, SystemExit):
        where = f"\n    at {innermost}" if innermost else ""
        return Verdict(
            Kind.EXCEPTION,
            f"your code called sys.exit({exc.code!r}) (or raised SystemExit) inside a test.{where}\n"
            "A library function must return a value or raise an exception, never end the program.",
        )
    if isinstance(exc, AssertionError):
        return Verdict(Kind.WRONG_ANSWER, _assertion_text(exc))
    if isinstance(exc, pytest.fail.Exception):
        # pytest.fail("...") in a grader, or pytest.raises(...) that saw no exception.
        return Verdict(Kind.WRONG_ANSWER, str(exc))
    where = f"\n    at {innermost}" if innermost else ""
    return Verdict(
        Kind.EXCEPTION,
        f"your code raised {type(exc).__name__}: {exc}{where}\n"
        "The grader did not expect an exception here; the README says what this step "
        "should return or raise.",
    )


def with_findings(verdict: Verdict, findings: list[str]) -> Verdict:
    """Add the leak checks' findings after the test's own failure, which stays first."""
    if not findings:
        return verdict
    return Verdict(verdict.kind, verdict.message + "\n\nAlso found:\n" + "\n".join(findings))
