"""Grades exercises/06_timeouts/fares.py: a deadline fan-out that keeps partial results."""

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
    answers anyway once it has closed."""

    def __init__(
        self,
        name: str,
        latency: float,
        log: Log,
        in_flight: InFlight,
        error: Exception | None = None,
        stubborn: bool = False,
    ) -> None:
        self.name = name
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
    assert got == expected, (
        f"{what} gave fares {got!r}; expected {expected!r}, the two sources that answered "
        "before 2 s. Timing out the whole gather (wait_for, asyncio.timeout) throws away the "
        "answers already received: asyncio.wait(tasks, timeout=...) tells you which are done."
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
    else:
        why = (
            "Waiting for every answer and filtering afterwards returns as late as the "
            "slowest source: asyncio.wait(tasks, timeout=deadline) returns at the deadline."
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
    assert all(t is not None for t in times.values()), (
        f"{what}: the sources still working at the deadline were not all cancelled (log: "
        f"{log.names()}); expected klm and norse cancelled. Each straggler keeps its "
        "connection open and runs on after you return: call task.cancel() on it."
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
async def test_stragglers_finish_unwinding_before_return() -> None:
    """The cancelled sources have closed their connections before the call returns."""
    sources, log = make_sources(*FOUR)
    await search(sources, 2.0, log)
    end = log.index("search_fares returned")
    never_cancelled = [n for n in ("klm", "norse") if log.index(f"{n} cancelled") < 0]
    assert not never_cancelled, (
        f"search_fares never cancelled {never_cancelled} (log: {log.names()}); expected the "
        "sources still working at the deadline to be cancelled, then awaited."
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
        f"{expected!r}. One failing source must not sink the search: look at each finished "
        "task's .exception() before asking for its .result()."
    )
    assert elapsed == pytest.approx(2.0 + UNWIND_SECONDS), (
        f"{what} returned after {elapsed:g} s; expected {2.0 + UNWIND_SECONDS:g} s: a "
        "failure ends nothing early, the other sources still get until the deadline."
    )


# ---------------------------------------------------------------- step 4: stubborn


@pytest.mark.task(4)
@pytest.mark.looptime
async def test_a_late_answer_is_never_shown() -> None:
    """A source that swallows its cancellation and answers anyway is late, not shown."""
    sources, log = make_sources(*FOUR, stubborn="norse")
    result, _, what = await search(sources, 2.0, log)
    expected = fares.SearchResult({s.name: s.fare() for s in sources[:2]}, late=("klm", "norse"))
    assert result == expected, (
        f"{what}, with norse ignoring its cancellation and answering after closing, "
        f"returned {result!r}; expected {expected!r}. Decide from what was done AT the "
        "deadline (the first set asyncio.wait gives you), not from how the tasks ended."
    )
    end = log.index("search_fares returned")
    assert 0 <= log.index("norse closed") < end, (
        f"search_fares returned before the stubborn source had finished (log: {log.names()});"
        " expected it to be awaited like the others, so no task is left running."
    )
