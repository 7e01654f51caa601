"""Count a product's stock across inventory shards: all of them, or fail fast.

A product's stock is split over several warehouse shards. The total is only meaningful
when every shard answered: as soon as one fails, waiting for the others is wasted work,
so they are cancelled (their connections closed) and the failures are reported.

1. `count_stock`: query every shard concurrently in an `asyncio.TaskGroup` and return the
   sum; when a shard fails, the TaskGroup cancels the others and raises an ExceptionGroup.
2. `check_stock`: turn `count_stock`'s outcome into a `StockCheck`, sorting the failures
   with `except*`: busy shards mean "retry later", a corrupted shard is fatal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class ShardError(Exception):
    """A shard could not answer. `shard` is its name."""

    def __init__(self, shard: str, message: str) -> None:
        super().__init__(f"shard {shard}: {message}")
        self.shard = shard


class ShardBusy(ShardError):
    """A transient failure: the shard is overloaded; asking again later will work."""

    def __init__(self, shard: str, retry_after: float) -> None:
        super().__init__(shard, f"busy, retry after {retry_after:g} s")
        self.retry_after = retry_after


class ShardCorrupted(ShardError):
    """A permanent failure: the shard's data is damaged; asking again will not help."""

    def __init__(self, shard: str) -> None:
        super().__init__(shard, "data corrupted")


class InventoryCorrupted(Exception):
    """Raised by `check_stock` when at least one shard is corrupted."""

    def __init__(self, shards: tuple[str, ...]) -> None:
        super().__init__(f"corrupted shard(s): {', '.join(shards)}")
        self.shards = shards


@dataclass(frozen=True)
class StockCheck:
    """The outcome of a stock check.

    `total` is the stock summed over every shard, or None when some shards were busy;
    then `busy_shards` names them (sorted) and `retry_after` is the longest wait they asked for.
    """

    sku: str
    total: int | None
    busy_shards: tuple[str, ...] = ()
    retry_after: float = 0.0


class Shard(Protocol):
    """One inventory shard; `count` takes a while and may raise a ShardError."""

    name: str

    async def count(self, sku: str) -> int: ...


class FakeShard:
    """An in-memory shard with a latency, an optional failure and a connection to close."""

    def __init__(
        self,
        name: str,
        stock: dict[str, int],
        latency: float = 1.0,
        fails_with: ShardError | None = None,
    ) -> None:
        self.name = name
        self.stock = stock
        self.latency = latency
        self.fails_with = fails_with

    async def count(self, sku: str) -> int:
        try:
            await asyncio.sleep(self.latency)
            if self.fails_with is not None:
                raise self.fails_with
            return self.stock.get(sku, 0)
        finally:
            await asyncio.sleep(0.1)  # closing the connection takes a moment
            print(f"  {self.name}: connection closed")


async def count_stock(shards: Sequence[Shard], sku: str) -> int:
    """Sum a product's stock over every shard, querying them all at once.

    Args:
        shards: the shards to ask; each holds part of the stock.
        sku: the product.

    Returns:
        The sum of every shard's count (0 for no shards), after about as long as the
        slowest shard.

    Raises:
        ExceptionGroup: of the ShardError(s) when any shard fails; the other shards are
            cancelled, and have finished closing, before it is raised.

    Example:
        >>> asyncio.run(count_stock([FakeShard("eu", {"mug": 3}, 0)], "mug"))
          eu: connection closed
        3
    """
    # The TaskGroup starts every query at once. If one raises, it cancels the siblings
    # and waits for them to unwind (their `finally` blocks run) before raising an
    # ExceptionGroup of every failure, so nothing is left running when we return or raise.
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(shard.count(sku)) for shard in shards]
    # Leaving the block means every task finished successfully.
    return sum(task.result() for task in tasks)


async def check_stock(shards: Sequence[Shard], sku: str) -> StockCheck:
    """Check a product's stock, telling retryable failures from fatal ones.

    Args:
        shards: the shards to ask.
        sku: the product.

    Returns:
        `StockCheck(sku, total)` when every shard answered; when only ShardBusy errors
        occurred, `StockCheck(sku, None, busy_shards=<sorted names>, retry_after=<max>)`.

    Raises:
        InventoryCorrupted: naming (sorted) every corrupted shard, even if others were busy.
        Any other error from the shards propagates (inside an ExceptionGroup).

    Example:
        >>> busy = FakeShard("us", {}, 0, fails_with=ShardBusy("us", 2.0))
        >>> asyncio.run(check_stock([busy], "mug"))
          us: connection closed
        StockCheck(sku='mug', total=None, busy_shards=('us',), retry_after=2.0)
    """
    busy: list[ShardBusy] = []
    # `except*` matches inside the ExceptionGroup: each clause receives the subgroup of
    # its type, and several clauses can run for one group (busy AND corrupted together).
    # A plain `except ShardBusy` would never match, because what is raised is the group.
    try:
        total = await count_stock(shards, sku)
    except* ShardCorrupted as corrupted:
        # A fatal error wins over busy ones: retrying cannot fix a corrupted shard.
        names = tuple(sorted(_shard_names(corrupted)))
        raise InventoryCorrupted(names) from corrupted
    except* ShardBusy as group:
        # `return` is not allowed in an except* clause: remember what we saw instead.
        busy = [error for error in _leaves(group) if isinstance(error, ShardBusy)]
    # Anything else (a bug, an unexpected error) matches no clause and propagates.
    if busy:
        return StockCheck(
            sku,
            None,
            busy_shards=tuple(sorted(error.shard for error in busy)),
            retry_after=max(error.retry_after for error in busy),
        )
    return StockCheck(sku, total)


def _leaves(group: BaseExceptionGroup[ShardError]) -> list[ShardError]:
    """The exceptions of a group, with nested groups flattened."""
    found: list[ShardError] = []
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            found.extend(_leaves(error))
        else:
            found.append(error)
    return found


def _shard_names(group: BaseExceptionGroup[ShardError]) -> list[str]:
    return [error.shard for error in _leaves(group)]


async def main() -> None:
    shards = [
        FakeShard("eu", {"mug": 3}, latency=1.0),
        FakeShard("us", {"mug": 5}, latency=2.0),
        FakeShard("asia", {"mug": 1}, latency=0.5, fails_with=ShardBusy("asia", 3.0)),
    ]
    print(await check_stock(shards[:2], "mug"))
    print(await check_stock(shards, "mug"))


if __name__ == "__main__":
    asyncio.run(main())
