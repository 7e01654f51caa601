"""Grades exercises/06_timeouts/fares.py: a deadline fan-out that keeps partial results.

Requirements:
- 1: every source asked once, all at the same time -> test_every_source_is_asked_at_once
- 1: the fares are exactly those that arrived in time -> test_keeps_the_answers_that_arrived_in_time
- 1: returns at the deadline (plus the stragglers' unwinding) -> test_returns_at_the_deadline
- 1: returns as soon as every source answered (or failed) -> test_returns_early_when_every_source_answered
- 1: no sources give SearchResult({}) at once -> test_no_sources_give_an_empty_result
- 2: stragglers cancelled at the deadline, named in `late` -> test_stragglers_are_cancelled_at_the_deadline
- 2: `late` sorted by name, not in input order -> test_late_sources_are_sorted_by_name
- 2: a straggler raising while it closes is late, its error retrieved ->
  test_a_straggler_failing_while_it_closes_is_still_late
- 2: stragglers have finished unwinding before the call returns ->
  test_stragglers_finish_unwinding_before_return
- 3: a failing source is in `failed`, the others unaffected until the deadline ->
  test_a_failing_source_is_named_in_failed
- 3: any exception of a source is a failure, not only SourceError -> test_any_error_of_a_source_is_a_failure
- 3: seven failures, all in `failed`, sorted by name (not in failure, input or set order) ->
  test_several_failures_are_sorted_and_the_others_unaffected
- 4: a late answer (stubborn source) is never shown, and that source is awaited ->
  test_a_late_answer_is_never_shown
- checks: no task left running (the engine's check at return) -> test_stragglers_finish_unwinding_before_return
- checks: no exception left unretrieved -> test_a_straggler_failing_while_it_closes_is_still_late
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest

from katagrader import InFlight, learner_module, within

fares = learner_module("fares")

# How long a source takes to close its connection once cancelled.
UNWIND_SECONDS = 0.25
ROUTE = "LIS-OSL"


class Log:
    """An ordered record of what happened, with the loop time of each event."""

    def __init__(self) -> None:
        self.events: list[tuple[str, float]] = []

    def add(self, event: str) -> None:
        self.events.append((event, asyncio.get_running_loop().time()))

    def names(self) -> list[str]:
        return [event for event, _ in self.events]

    def index(self, event: str) -> int:
        names = self.names()
        return names.index(event) if event in names else -1

    def time_of(self, event: str) -> float | None:
        return next((t for e, t in self.events if e == event), None)


class ProbedSource:
    """A source answering after `latency` virtual seconds (or raising), which records its
    start, cancellation and closing; a `stubborn` one swallows its cancellation and
    answers anyway once it has closed; one with a `close_error` raises it while closing."""

    def __init__(
        self,
        name: str,
        latency: float,
        log: Log,
        in_flight: InFlight,
        error: Exception | None = None,
        stubborn: bool = False,
        close_error: Exception | None = None,
    ) -> None:
        self.name = name
        self.close_error = close_error
        self.latency = latency
        self.log = log
        self.in_flight = in_flight
        self.error = error
        self.stubborn = stubborn
        self.routes: list[str] = []

    def fare(self) -> Any:
        return fares.Fare(self.name, 50 + sum(map(ord, self.name)) % 150)

    async def quote(self, route: str) -> Any:
        self.routes.append(route)
        self.log.add(f"{self.name} started")
        try:
            async with self.in_flight:
                await asyncio.sleep(self.latency)
        except asyncio.CancelledError:
            self.log.add(f"{self.name} cancelled")
            await asyncio.sleep(UNWIND_SECONDS)  # closing the connection takes a moment
            self.log.add(f"{self.name} closed")
            if self.close_error is not None:
                raise self.close_error from None  # closing the connection failed
            if self.stubborn:
                return self.fare()  # swallows the cancellation: a badly behaved source
            raise
        if self.error is not None:
            raise self.error
        self.log.add(f"{self.name} answered")
        return self.fare()


def make_sources(
    *specs: tuple[str, float], errors: dict[str, Exception] | None = None, stubborn: str = ""
) -> tuple[list[ProbedSource], Log]:
    log = Log()
    in_flight = InFlight()
    errors = errors or {}
    sources = [
        ProbedSource(name, latency, log, in_flight, errors.get(name), name == stubborn)
        for name, latency in specs
    ]
    return sources, log


async def search(
    sources: list[ProbedSource], deadline: float, log: Log | None = None
) -> tuple[Any, float, str]:
    """Run search_fares; return its result, the loop time it took, and what was called."""
    what = f"search_fares(<{', '.join(f'{s.name}: {s.latency:g} s' for s in sources)}>, "
    what += f"{ROUTE!r}, deadline={deadline:g})"
    awaitable: Awaitable[Any] = fares.search_fares(sources, ROUTE, deadline)
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await within(60, awaitable, what=what)
    if log is not None:
        log.add("search_fares returned")
    return result, loop.time() - started, what


FOUR = (("tap", 0.5), ("sas", 1.5), ("klm", 3.0), ("norse", 10.0))


def never_cancelled(log: Log, names: tuple[str, ...]) -> str:
    """What the log shows of the stragglers that were never cancelled: empty when all
    were; otherwise a sentence naming them, and when they ran to their answer, when."""
    missing = [n for n in names if log.index(f"{n} cancelled") < 0]
    if not missing:
        return ""
    start = log.time_of(f"{names[0]} started") or 0.0
    answered = {n: t - start for n in missing if (t := log.time_of(f"{n} answered")) is not None}
    text = f"{', '.join(missing)} never cancelled"
    if answered:
        when = ", ".join(f"{n} at {t:g} s" for n, t in answered.items())
        text += (
            f"; they ran on and answered ({when}), so the call was still waiting for them "
            "after the 2 s deadline"
        )
    return text


# ---------------------------------------------------------------- step 1: in time


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_every_source_is_asked_at_once() -> None:
    """Every source is asked for the route, all of them at the same time."""
    sources, _ = make_sources(*FOUR)
    _, _, what = await search(sources, 2.0)
    asked = {s.name: s.routes for s in sources}
    assert all(routes == [ROUTE] for routes in asked.values()), (
        f"{what} asked the sources {asked}; expected each asked once for {ROUTE!r}."
    )
    peak = sources[0].in_flight.peak
    assert peak == 4, (
        f"{what} had at most {peak} source(s) working at once; expected all 4: create a task "
        "per source before waiting for any of them."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_keeps_the_answers_that_arrived_in_time() -> None:
    """The result holds exactly the fares of the sources that answered before the deadline."""
    sources, _ = make_sources(*FOUR)
    result, _, what = await search(sources, 2.0)
    expected = {s.name: s.fare() for s in sources[:2]}
    got = getattr(result, "fares", result)
    shown = set(got) if isinstance(got, dict) else set()
    lost, extra = sorted(set(expected) - shown), sorted(shown - set(expected))
    # Say what was observed; the cause only when the observation identifies it.
    why = ""
    if extra:
        why = f" It shows fares of {extra}, which answered after the 2 s deadline."
    if lost:
        why += f" It lost the fares of {lost}, which arrived in time."
        if not shown:
            why += (
                " Nothing was kept: a timeout around the whole fan-out (wait_for, "
                "asyncio.timeout around a gather) throws away the answers already received; "
                "asyncio.wait(tasks, timeout=...) tells you which are done."
            )
    assert got == expected, (
        f"{what} gave fares {got!r}; expected {expected!r}, the two sources that answered "
        f"before 2 s.{why}"
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_returns_at_the_deadline() -> None:
    """The call returns at the deadline (plus the late sources' unwinding), not later."""
    sources, _ = make_sources(*FOUR)
    _, elapsed, what = await search(sources, 2.0)
    expected = 2.0 + UNWIND_SECONDS
    if elapsed < expected:
        why = (
            "It returned before the cancelled sources had closed: after cancelling them, "
            "await them (their cleanup is part of the call)."
        )
    elif elapsed >= 10.0:
        why = (
            "It returned only once the slowest source (10 s) had answered: nothing ended the "
            "wait at the deadline. asyncio.wait(tasks, timeout=deadline) returns at the "
            "deadline (measured on the loop's clock)."
        )
    else:
        why = (
            "The deadline must end the wait: return 2 s after the call, once the stragglers closed."
        )
    assert elapsed == pytest.approx(expected), (
        f"{what} returned after {elapsed:g} s of loop time; expected {expected:g} s: the "
        f"deadline, plus the {UNWIND_SECONDS:g} s the cancelled sources take to close. {why}"
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_returns_early_when_every_source_answered() -> None:
    """When every source answers before the deadline, the call returns at once."""
    sources, _ = make_sources(("tap", 0.5), ("sas", 1.0))
    result, elapsed, what = await search(sources, 5.0)
    assert elapsed == pytest.approx(1.0), (
        f"{what} returned after {elapsed:g} s of loop time; expected 1 s, when the last "
        "answer arrived: the deadline is a limit, not a delay (asyncio.wait returns as soon "
        "as every task is done)."
    )
    expected = fares.SearchResult({s.name: s.fare() for s in sources})
    assert result == expected, f"{what} returned {result!r}; expected {expected!r}."
    # A failure is an answer too: when the last source fails early, the call ends then.
    error = fares.SourceError("sas: 503 Service Unavailable")
    sources, _ = make_sources(("tap", 0.5), ("sas", 1.0), errors={"sas": error})
    result, elapsed, what = await search(sources, 5.0)
    expected = fares.SearchResult({"tap": sources[0].fare()}, failed=("sas",))
    assert elapsed == pytest.approx(1.0) and result == expected, (
        f"{what}, with sas failing at 1 s, returned {result!r} after {elapsed:g} s of loop "
        f"time; expected {expected!r} at 1 s: once every source has answered or failed there "
        "is nothing left to wait for."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_no_sources_give_an_empty_result() -> None:
    """With no sources the result is empty, at once."""
    result, elapsed, what = await search([], 2.0)
    expected = fares.SearchResult({})
    assert result == expected and elapsed == 0, (
        f"{what} returned {result!r} after {elapsed:g} s; expected {expected!r} at once "
        "(note that asyncio.wait refuses an empty set)."
    )


# ---------------------------------------------------------------- step 2: stragglers


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_stragglers_are_cancelled_at_the_deadline() -> None:
    """The sources still working at the deadline are cancelled then, and named as late."""
    sources, log = make_sources(*FOUR)
    result, _, what = await search(sources, 2.0, log)
    times = {name: log.time_of(f"{name} cancelled") for name in ("klm", "norse")}
    missing = never_cancelled(log, ("klm", "norse"))
    assert not missing, (
        f"{what}: {missing} (log: {log.names()}). Expected klm and norse, still working at the "
        "2 s deadline, to be cancelled then (task.cancel())."
    )
    start = log.time_of("tap started") or 0.0
    late_cancel = {n: t - start for n, t in times.items() if t is not None and t - start > 2.0}
    assert not late_cancel, (
        f"{what}: stragglers were cancelled only after {late_cancel} s; expected at the "
        "deadline, 2 s."
    )
    late = getattr(result, "late", None)
    assert late == ("klm", "norse"), (
        f"{what} returned late={late!r}; expected ('klm', 'norse'), sorted."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_a_straggler_failing_while_it_closes_is_still_late() -> None:
    """A straggler that raises while closing is late, not failed, and its error is
    retrieved (asyncio would otherwise log it as never retrieved)."""
    sources, log = make_sources(*FOUR)
    sources[3].close_error = ConnectionResetError("norse: connection reset while closing")
    result, _, what = await search(sources, 2.0, log)
    expected = fares.SearchResult(
        {s.name: s.fare() for s in sources[:2]}, late=("klm", "norse"), failed=()
    )
    assert result == expected, (
        f"{what}, with norse raising ConnectionResetError while it closed after its "
        f"cancellation, returned {result!r}; expected {expected!r}: it was still working at "
        "the deadline, so it is late; what it did after does not count."
    )
    # The engine reports a task exception nobody retrieved (kind `leak`) after this test.


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_late_sources_are_sorted_by_name() -> None:
    """`late` is sorted by name, whatever order the sources were given or started in."""
    # Seven stragglers given out of name order (a set's arbitrary order is sorted by chance
    # once in 5,040 runs).
    stragglers = (
        ("norse", 10.0),
        ("klm", 3.0),
        ("wizz", 4.0),
        ("iberia", 5.0),
        ("sas", 2.5),
        ("aegean", 6.0),
        ("lot", 7.0),
    )
    sources, _ = make_sources(("tap", 0.5), *stragglers)
    result, _, what = await search(sources, 2.0)
    late = getattr(result, "late", None)
    expected = tuple(sorted(name for name, _ in stragglers))
    given = tuple(name for name, _ in stragglers)
    order = " (the order the sources were given)" if late == given else ""
    assert late == expected, (
        f"{what} returned late={late!r}{order}; expected {expected!r}: sorted by name."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
async def test_stragglers_finish_unwinding_before_return() -> None:
    """The cancelled sources have closed their connections before the call returns."""
    sources, log = make_sources(*FOUR)
    await search(sources, 2.0, log)
    end = log.index("search_fares returned")
    missing = never_cancelled(log, ("klm", "norse"))
    assert not missing, (
        f"search_fares: {missing} (log: {log.names()}); expected the sources still working at "
        "the deadline to be cancelled, then awaited."
    )
    open_after = [n for n in ("klm", "norse") if not 0 <= log.index(f"{n} closed") < end]
    assert not open_after, (
        f"search_fares returned before {open_after} had closed their connection (log: "
        f"{log.names()}). task.cancel() only asks the task to stop; it still has to run its "
        "cleanup. Await the cancelled tasks (asyncio.wait(pending) or gather them) before "
        "returning."
    )


# ---------------------------------------------------------------- step 3: failures


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_a_failing_source_is_named_in_failed() -> None:
    """A source that raises before the deadline is in `failed`; the others are unaffected."""
    error = fares.SourceError("sas: 503 Service Unavailable")
    sources, _ = make_sources(*FOUR, errors={"sas": error})
    result, elapsed, what = await search(sources, 2.0)
    expected = fares.SearchResult(
        {"tap": sources[0].fare()}, late=("klm", "norse"), failed=("sas",)
    )
    assert result == expected, (
        f"{what}, with sas raising SourceError after 1.5 s, returned {result!r}; expected "
        f"{expected!r}: sas in `failed`, the others as if nothing had failed (a finished "
        "task's .exception() tells a failure from an answer)."
    )
    assert elapsed == pytest.approx(2.0 + UNWIND_SECONDS), (
        f"{what} returned after {elapsed:g} s; expected {2.0 + UNWIND_SECONDS:g} s: a "
        "failure ends nothing early, the other sources still get until the deadline."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_any_error_of_a_source_is_a_failure() -> None:
    """A source raising something else than SourceError (a bug, a KeyError) is in `failed`
    too: "a source that raises" is any exception, and it must not escape search_fares."""
    sources, _ = make_sources(*FOUR, errors={"sas": KeyError("fare_class")})
    result, _elapsed, what = await search(sources, 2.0)
    expected = fares.SearchResult(
        {"tap": sources[0].fare()}, late=("klm", "norse"), failed=("sas",)
    )
    assert result == expected, (
        f"{what}, with sas raising KeyError after 1.5 s, returned {result!r}; expected "
        f"{expected!r}: any exception of a source puts it in `failed`, not only SourceError."
    )


@pytest.mark.task(3)
@pytest.mark.looptime
async def test_several_failures_are_sorted_and_the_others_unaffected() -> None:
    """Seven sources failing at different times are all in `failed`, sorted by name; the
    sources around them still answer, or are late, as if nothing had failed."""
    # Neither the order they are given in nor the order they fail in is sorted; and with
    # seven names, a set's arbitrary order is sorted by chance once in 5,040 runs.
    failing = (
        ("wizz", 0.5),
        ("sas", 1.0),
        ("klm", 1.5),
        ("lot", 0.6),
        ("aegean", 0.7),
        ("finnair", 1.2),
        ("vueling", 0.9),
    )
    specs: tuple[tuple[str, float], ...] = (
        *failing[:2],
        ("tap", 0.8),
        *failing[2:5],
        ("norse", 10.0),
        *failing[5:],
        ("iberia", 1.8),
    )
    errors: dict[str, Exception] = {
        name: fares.SourceError(f"{name}: 503 Service Unavailable") for name, _ in failing
    }
    sources, _ = make_sources(*specs, errors=errors)
    result, elapsed, what = await search(sources, 2.0)
    by_name = {s.name: s for s in sources}
    expected = fares.SearchResult(
        {"tap": by_name["tap"].fare(), "iberia": by_name["iberia"].fare()},
        late=("norse",),
        failed=tuple(sorted(name for name, _ in failing)),
    )
    failed = getattr(result, "failed", None)
    given = tuple(name for name, _ in specs if name in errors)
    in_time = tuple(name for name, _ in sorted(failing, key=lambda spec: spec[1]))
    order = (
        " (the order they were given)"
        if failed == given
        else " (the order they failed in)"
        if failed == in_time
        else ""
    )
    when = ", ".join(f"{name} at {latency:g} s" for name, latency in failing)
    assert result == expected, (
        f"{what}, with SourceError raised by {when}, returned {result!r}{order}; expected "
        f"{expected!r}: every failure named, sorted by name, and the other sources unaffected."
    )
    assert elapsed == pytest.approx(2.0 + UNWIND_SECONDS), (
        f"{what} returned after {elapsed:g} s; expected {2.0 + UNWIND_SECONDS:g} s: failures "
        "end nothing early, the other sources still get until the deadline."
    )


# ---------------------------------------------------------------- step 4: stubborn


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_a_late_answer_is_never_shown() -> None:
    """A source that swallows its cancellation and answers anyway is late, not shown."""
    sources, log = make_sources(*FOUR, stubborn="norse")
    result, _, what = await search(sources, 2.0, log)
    expected = fares.SearchResult({s.name: s.fare() for s in sources[:2]}, late=("klm", "norse"))
    shown = getattr(result, "fares", {})
    why = (
        " The stubborn source's answer, which came after the deadline, is shown: decide from "
        "what was done AT the deadline (the first set asyncio.wait gives you), not from how "
        "the tasks ended."
        if isinstance(shown, dict) and "norse" in shown
        else ""
    )
    assert result == expected, (
        f"{what}, with norse ignoring its cancellation and answering after closing, "
        f"returned {result!r}; expected {expected!r}.{why}"
    )
    end = log.index("search_fares returned")
    assert 0 <= log.index("norse closed") < end, (
        f"search_fares returned before the stubborn source had finished (log: {log.names()});"
        " expected it to be awaited like the others, so no task is left running."
    )
