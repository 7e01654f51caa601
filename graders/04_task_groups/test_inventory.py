"""Grades exercises/04_task_groups/inventory.py: fail-fast fan-out and except*.

Requirements:
- 1: the sum of every shard, each asked once -> test_total_is_the_sum_of_every_shard
- 1: no shards count 0 -> test_no_shards_count_zero
- 1: every shard queried concurrently (as long as the slowest) -> test_shards_are_queried_concurrently
- 1: a failure raises an ExceptionGroup of the shard errors -> test_failures_surface_as_an_exception_group
- 1: failures at the same moment are all in the group -> test_failures_at_the_same_moment_are_all_in_the_group
- 1: the other queries cancelled and closed before it raises, at once (1.5 s) ->
  test_failure_cancels_the_other_shards
- 2: every shard answered: StockCheck(sku, total) -> test_success_reports_the_total
- 2: only busy: every busy shard sorted, the longest retry_after -> test_busy_shards_give_a_retry_outcome,
  test_retry_after_is_the_longest_wait_wherever_it_is
- 2: any corrupted raises InventoryCorrupted naming them, sorted -> test_corrupted_shard_is_fatal
- 2: corruption wins over busy failing at the same moment -> test_corruption_wins_when_both_kinds_fail_together
- 2: any other error propagates -> test_unexpected_errors_are_not_swallowed
- checks: no task left running (the engine's check at return) -> test_failure_cancels_the_other_shards
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from katagrader import InFlight, learner_module, leaves, outcome, within

inventory = learner_module("inventory")

# How long a shard takes to close its connection, in its `finally` block.
CLOSE_SECONDS = 0.25


class Log:
    """An ordered record of what happened, shared by the shards and the test."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def add(self, event: str) -> None:
        self.events.append(event)

    def index(self, event: str) -> int:
        return self.events.index(event) if event in self.events else -1


class ProbedShard:
    """A shard that answers after `latency` virtual seconds (or raises `error`), records
    its start, cancellation and close in the log, and counts queries in flight."""

    def __init__(
        self,
        name: str,
        stock: int,
        log: Log,
        in_flight: InFlight,
        latency: float = 1.0,
        error: Exception | None = None,
    ) -> None:
        self.name = name
        self.stock = stock
        self.log = log
        self.in_flight = in_flight
        self.latency = latency
        self.error = error
        self.queries: list[str] = []

    async def count(self, sku: str) -> int:
        self.queries.append(sku)
        self.log.add(f"{self.name} started")
        try:
            async with self.in_flight:
                await asyncio.sleep(self.latency)
            if self.error is not None:
                raise self.error
            return self.stock
        except asyncio.CancelledError:
            self.log.add(f"{self.name} cancelled")
            raise
        finally:
            await asyncio.sleep(CLOSE_SECONDS)  # closing the connection takes a moment
            self.log.add(f"{self.name} closed")


def make_shards(*specs: tuple[str, int, float, Exception | None]) -> tuple[list[ProbedShard], Log]:
    log = Log()
    in_flight = InFlight()
    shards = [ProbedShard(n, s, log, in_flight, lat, err) for n, s, lat, err in specs]
    return shards, log


# ---------------------------------------------------------------- step 1: count_stock


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_total_is_the_sum_of_every_shard() -> None:
    """count_stock asks each shard once and returns the sum of their counts."""
    shards, _ = make_shards(("eu", 3, 1.0, None), ("us", 5, 2.0, None), ("asia", 4, 0.5, None))
    total = await within(
        10, inventory.count_stock(shards, "mug"), what="count_stock(shards, 'mug')"
    )
    assert total == 12, (
        f"count_stock(shards, 'mug') returned {total!r} with shards holding 3, 5 and 4; expected 12."
    )
    asked = {s.name: s.queries for s in shards}
    assert all(q == ["mug"] for q in asked.values()), (
        f"the shards were asked {asked}; expected each shard asked once for 'mug'."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_no_shards_count_zero() -> None:
    """With no shards the stock is 0, at once."""
    total = await within(1, inventory.count_stock([], "mug"), what="count_stock([], 'mug')")
    assert total == 0, f"count_stock([], 'mug') returned {total!r}; expected 0."


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_shards_are_queried_concurrently() -> None:
    """All shards are queried at once: the call takes as long as the slowest shard."""
    shards, _ = make_shards(("eu", 3, 1.0, None), ("us", 5, 2.0, None), ("asia", 4, 0.5, None))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await within(20, inventory.count_stock(shards, "mug"), what="count_stock(shards, 'mug')")
    elapsed = loop.time() - started
    peak = shards[0].in_flight.peak
    why = (
        " One at a time: each query was awaited before the next one started; create every "
        "task in the TaskGroup before awaiting any result."
        if peak == 1
        else ""
    )
    assert peak == 3, (
        f"count_stock had at most {peak} shard queries in flight at once; expected all 3.{why}"
    )
    expected = 2.0 + CLOSE_SECONDS
    assert elapsed == pytest.approx(expected), (
        f"count_stock took {elapsed:g} s of loop time with shards of 1, 2 and 0.5 s (each "
        f"closing in {CLOSE_SECONDS:g} s); expected {expected:g} s, the slowest shard."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_failures_surface_as_an_exception_group() -> None:
    """A failing shard makes count_stock raise an ExceptionGroup holding the ShardError."""
    busy = inventory.ShardBusy("us", 2.0)
    shards, _ = make_shards(("eu", 3, 5.0, None), ("us", 5, 1.0, busy), ("asia", 4, 5.0, None))
    _, error = await outcome(20, inventory.count_stock(shards, "mug"), "count_stock(shards, 'mug')")
    assert error is not None, "count_stock returned normally although shard 'us' raised ShardBusy."
    why = (
        " The ShardBusy came out alone, not inside a group (as from asyncio.gather, or from "
        "awaiting the query directly)."
        if error is busy
        else ""
    )
    assert isinstance(error, ExceptionGroup), (
        f"count_stock raised {type(error).__name__}: {error}; expected an ExceptionGroup "
        "holding the ShardBusy (what asyncio.TaskGroup raises, so callers can sort the "
        f"failures with except*).{why}"
    )
    assert leaves(error) == [busy], (
        f"the ExceptionGroup held {leaves(error)!r}; expected only the ShardBusy of 'us' "
        "(the other shards were cancelled, which is not a failure)."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_failures_at_the_same_moment_are_all_in_the_group() -> None:
    """Two shards failing at the same moment: the ExceptionGroup holds both errors."""
    busy = inventory.ShardBusy("us", 2.0)
    corrupted = inventory.ShardCorrupted("asia")
    shards, _ = make_shards(("eu", 3, 5.0, None), ("us", 5, 1.0, busy), ("asia", 4, 1.0, corrupted))
    _, error = await outcome(20, inventory.count_stock(shards, "mug"), "count_stock(shards, 'mug')")
    found = leaves(error) if error is not None else []
    assert isinstance(error, BaseExceptionGroup) and sorted(map(id, found)) == sorted(
        map(id, [busy, corrupted])
    ), (
        "count_stock(shards, 'mug') with 'us' (ShardBusy) and 'asia' (ShardCorrupted) failing "
        "at the same moment "
        + ("returned normally" if error is None else f"raised {type(error).__name__}: {error!r}")
        + f" holding {found!r}; expected an ExceptionGroup holding both errors: the caller "
        "needs every failure (a corrupted shard must not hide behind a busy one)."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_failure_cancels_the_other_shards() -> None:
    """When a shard fails, the others are cancelled and closed before count_stock raises."""
    busy = inventory.ShardBusy("us", 2.0)
    shards, log = make_shards(("eu", 3, 5.0, None), ("us", 5, 1.0, busy), ("asia", 4, 5.0, None))
    loop = asyncio.get_running_loop()
    started = loop.time()
    _, error = await outcome(20, inventory.count_stock(shards, "mug"), "count_stock(shards, 'mug')")
    log.add("count_stock ended")
    elapsed = loop.time() - started
    assert error is not None, "count_stock returned normally although shard 'us' raised ShardBusy."
    not_cancelled = [n for n in ("eu", "asia") if log.index(f"{n} cancelled") < 0]
    assert not not_cancelled, (
        f"shard 'us' failed after 1 s, but {not_cancelled} were never cancelled (log: "
        f"{log.events}). Fail fast: the queries still running when one fails are cancelled "
        "(a TaskGroup does it for you)."
    )
    end = log.index("count_stock ended")
    late = [n for n in ("eu", "us", "asia") if not 0 <= log.index(f"{n} closed") < end]
    assert not late, (
        f"count_stock ended before shard(s) {late} had closed their connection (log: "
        f"{log.events}). Cancelling is not enough: the siblings must be awaited until their "
        "cleanup ran, which `async with asyncio.TaskGroup()` does before it raises."
    )
    expected = 1.0 + 2 * CLOSE_SECONDS
    assert elapsed == pytest.approx(expected), (
        f"count_stock raised after {elapsed:g} s of loop time; expected {expected:g} s: 'us' "
        f"fails at 1 s and closes ({CLOSE_SECONDS:g} s), then the cancelled shards close "
        f"({CLOSE_SECONDS:g} s). The 5 s shards must not be waited for."
    )


# ---------------------------------------------------------------- step 2: check_stock


def not_fatal_because(result: Any, error: BaseException | None) -> str:
    """Why a corrupted shard did not give InventoryCorrupted, from what was observed."""
    if error is None:
        return " The corruption was treated as retryable or ignored."
    if isinstance(error, BaseExceptionGroup):
        return (
            " The ExceptionGroup came out unhandled: `except ShardCorrupted` never matches a "
            "group; `except* ShardCorrupted` does."
        )
    return ""


async def reference_count_stock(shards: list[ProbedShard], sku: str) -> int:
    """A correct count_stock, so that step 2 is graded on its own."""
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(shard.count(sku)) for shard in shards]
    return sum(task.result() for task in tasks)


@pytest.fixture
def fair_count_stock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Grade check_stock against a correct count_stock, whatever the learner's step 1 does."""
    monkeypatch.setattr(inventory.load(), "count_stock", reference_count_stock)


@pytest.mark.task(2)
@pytest.mark.looptime
@pytest.mark.usefixtures("fair_count_stock")
async def test_success_reports_the_total() -> None:
    """When every shard answers, check_stock returns StockCheck(sku, total)."""
    shards, _ = make_shards(("eu", 3, 1.0, None), ("us", 5, 2.0, None))
    result = await within(
        20, inventory.check_stock(shards, "mug"), what="check_stock(shards, 'mug')"
    )
    expected = inventory.StockCheck("mug", 8)
    assert result == expected, (
        f"check_stock(shards, 'mug') returned {result!r}; expected {expected!r}."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
@pytest.mark.usefixtures("fair_count_stock")
async def test_busy_shards_give_a_retry_outcome() -> None:
    """Busy shards that fail together give StockCheck(total=None) naming them all."""
    shards, _ = make_shards(
        ("eu", 3, 5.0, None),
        ("us", 5, 1.0, inventory.ShardBusy("us", 2.0)),
        ("asia", 4, 1.0, inventory.ShardBusy("asia", 3.5)),
    )
    result, error = await outcome(
        20, inventory.check_stock(shards, "mug"), "check_stock(shards, 'mug')"
    )
    uncaught = (
        " The ExceptionGroup of ShardBusy errors came out unhandled: `except ShardBusy` never "
        "matches a group; `except* ShardBusy as group` does."
        if isinstance(error, BaseExceptionGroup)
        and all(isinstance(e, inventory.ShardBusy) for e in leaves(error))
        else ""
    )
    assert error is None, (
        f"check_stock raised {type(error).__name__}: {error} when shards 'us' and 'asia' were "
        f"busy; expected a StockCheck asking to retry.{uncaught}"
    )
    expected = inventory.StockCheck("mug", None, busy_shards=("asia", "us"), retry_after=3.5)
    assert result == expected, (
        f"check_stock(shards, 'mug') returned {result!r} when 'us' (retry after 2 s) and "
        f"'asia' (retry after 3.5 s) were busy; expected {expected!r}: every busy shard, "
        "sorted, and the longest wait."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
@pytest.mark.usefixtures("fair_count_stock")
async def test_retry_after_is_the_longest_wait_wherever_it_is() -> None:
    """The longest retry_after is reported, also when it is not the last error of the group
    (here the first of three busy shards, given out of name order)."""
    shards, _ = make_shards(
        ("us", 5, 1.0, inventory.ShardBusy("us", 4.0)),
        ("eu", 3, 1.0, inventory.ShardBusy("eu", 1.0)),
        ("asia", 4, 1.0, inventory.ShardBusy("asia", 2.5)),
    )
    result, error = await outcome(
        20, inventory.check_stock(shards, "mug"), "check_stock(shards, 'mug')"
    )
    expected = inventory.StockCheck("mug", None, busy_shards=("asia", "eu", "us"), retry_after=4.0)
    got = f"returned {result!r}" if error is None else f"raised {type(error).__name__}: {error}"
    assert error is None and result == expected, (
        f"check_stock(shards, 'mug') with 'us', 'eu' and 'asia' busy (retry after 4, 1 and "
        f"2.5 s, failing in that order) {got}; expected {expected!r}: every busy shard, "
        "sorted by name, and the longest of the waits."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
@pytest.mark.usefixtures("fair_count_stock")
async def test_corrupted_shard_is_fatal() -> None:
    """A corrupted shard makes check_stock raise InventoryCorrupted naming it."""
    shards, _ = make_shards(("eu", 3, 5.0, None), ("us", 5, 1.0, inventory.ShardCorrupted("us")))
    result, error = await outcome(
        20, inventory.check_stock(shards, "mug"), "check_stock(shards, 'mug')"
    )
    assert isinstance(error, inventory.InventoryCorrupted), (
        "check_stock(shards, 'mug') with shard 'us' corrupted "
        + (f"returned {result!r}" if error is None else f"raised {type(error).__name__}: {error}")
        + "; expected it to raise InventoryCorrupted (a corrupted shard is not worth a retry)."
        + not_fatal_because(result, error)
    )
    assert error.shards == ("us",), f"InventoryCorrupted named {error.shards!r}; expected ('us',)."


@pytest.mark.task(2)
@pytest.mark.looptime
@pytest.mark.usefixtures("fair_count_stock")
async def test_corruption_wins_when_both_kinds_fail_together() -> None:
    """When busy and corrupted shards fail together, InventoryCorrupted is raised."""
    shards, _ = make_shards(
        ("eu", 3, 5.0, None),
        ("us", 5, 1.0, inventory.ShardBusy("us", 2.0)),
        ("asia", 4, 1.0, inventory.ShardCorrupted("asia")),
        ("africa", 1, 1.0, inventory.ShardCorrupted("africa")),
    )
    result, error = await outcome(
        20, inventory.check_stock(shards, "mug"), "check_stock(shards, 'mug')"
    )
    assert isinstance(error, inventory.InventoryCorrupted), (
        "check_stock(shards, 'mug') with 'us' busy and 'asia', 'africa' corrupted at the same "
        "moment "
        + (f"returned {result!r}" if error is None else f"raised {type(error).__name__}: {error}")
        + "; expected InventoryCorrupted: the ExceptionGroup holds all three errors, and "
        "any corrupted one is fatal." + not_fatal_because(result, error)
    )
    assert error.shards == ("africa", "asia"), (
        f"InventoryCorrupted named {error.shards!r}; expected every corrupted shard, sorted: "
        "('africa', 'asia')."
    )


@pytest.mark.task(2)
@pytest.mark.looptime
@pytest.mark.usefixtures("fair_count_stock")
async def test_unexpected_errors_are_not_swallowed() -> None:
    """An error that is neither ShardBusy nor ShardCorrupted propagates out of check_stock."""
    bug = KeyError("mug")
    shards, _ = make_shards(("eu", 3, 5.0, None), ("us", 5, 1.0, bug))
    result, error = await outcome(
        20, inventory.check_stock(shards, "mug"), "check_stock(shards, 'mug')"
    )
    assert error is not None and bug in leaves(error), (
        "check_stock(shards, 'mug') with shard 'us' raising KeyError "
        + (f"returned {result!r}" if error is None else f"raised {type(error).__name__}: {error}")
        + "; expected the KeyError to propagate (inside an ExceptionGroup is fine). Handle "
        "only the errors you know; `except Exception` hides bugs as 'retry later'."
    )
