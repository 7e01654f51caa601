"""Search several airlines for a fare, and show what arrived before the deadline.

A fare search page asks every airline at once and must render within a deadline: the
fares that arrived in time are shown, the airlines still thinking are cancelled (their
connections closed), and the page says which ones were too slow or failed.

1. `search_fares`: ask every source at once; return at the deadline (or as soon as every
   source has answered) with the fares that arrived in time.
2. At the deadline, cancel the sources still working and wait until they have finished
   unwinding before returning; name them in `late`.
3. A source that raises before the deadline is named in `failed`; the others are unaffected.
4. An answer that comes after the deadline is never shown, even from a source that ignores
   its cancellation and answers anyway (that source is still awaited, and is `late`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Fare:
    """A price offered by one airline."""

    airline: str
    price: int


@dataclass(frozen=True)
class SearchResult:
    """What the page shows: the fares that arrived in time, by source name, and the
    sources that were too slow (`late`) or failed (`failed`), each sorted by name."""

    fares: dict[str, Fare]
    late: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


class SourceError(Exception):
    """A fare source answered with an error."""


class FareSource(Protocol):
    """One airline's API: `quote` takes a while and may raise SourceError."""

    name: str

    async def quote(self, route: str) -> Fare: ...


class FakeSource:
    """A pretend airline answering after `latency` seconds (or failing, if `broken`)."""

    def __init__(self, name: str, price: int, latency: float, broken: bool = False) -> None:
        self.name = name
        self.price = price
        self.latency = latency
        self.broken = broken

    async def quote(self, route: str) -> Fare:
        try:
            await asyncio.sleep(self.latency)
        except asyncio.CancelledError:
            print(f"  {self.name}: cancelled, closing the connection")
            raise
        if self.broken:
            raise SourceError(f"{self.name}: 503 Service Unavailable")
        return Fare(self.name, self.price)


async def search_fares(sources: Sequence[FareSource], route: str, deadline: float) -> SearchResult:
    """Ask every source for a fare; keep what arrives within `deadline` seconds.

    Args:
        sources: the airlines to ask (names are unique).
        route: what to quote, such as "LIS-OSL".
        deadline: seconds to wait for answers.

    Returns:
        A SearchResult: `fares` maps each source name to the fare it gave in time; `late`
        names (sorted) the sources cancelled at the deadline; `failed` names (sorted) those
        that raised. Returned at the deadline, once the late sources have finished
        unwinding, or sooner if every source answered.

    Example:
        >>> fast, slow = FakeSource("tap", 120, 0.1), FakeSource("sas", 90, 9)
        >>> asyncio.run(search_fares([fast, slow], "LIS-OSL", 1.0))
          sas: cancelled, closing the connection
        SearchResult(fares={'tap': Fare(airline='tap', price=120)}, late=('sas',), failed=())
    """
    if not sources:
        return SearchResult({})
    # Tasks, not bare coroutines: each starts at once, and asyncio.wait needs tasks.
    names = {asyncio.create_task(source.quote(route)): source.name for source in sources}
    tasks = set(names)
    try:
        # asyncio.wait returns at the deadline with two sets, what is done and what is not,
        # or earlier when everything is done. Unlike wait_for or asyncio.timeout around a
        # gather, it keeps the finished results, and it cancels nothing by itself.
        done, pending = await asyncio.wait(tasks, timeout=deadline)
    finally:
        # Whatever happens (deadline, or our own caller cancelling us), no source outlives
        # this call: cancel the stragglers, then await them, because cancel() only asks;
        # the task still has to run its cleanup (close its connection) before it is done.
        for task in tasks:
            task.cancel()  # no effect on tasks that are already done
        await asyncio.wait(tasks)

    # `done` was fixed at the deadline: a stubborn source that swallowed its cancellation
    # and answered during the clean-up is in `pending`, so its late answer is not shown.
    fares: dict[str, Fare] = {}
    failed: list[str] = []
    for task in done:
        error = task.exception()  # retrieving it also keeps asyncio from logging it as lost
        if error is not None:
            failed.append(names[task])
        else:
            fares[names[task]] = task.result()
    for task in pending:
        # A straggler may have raised while unwinding: retrieve it so it is not "never
        # retrieved"; its outcome does not count anyway.
        if not task.cancelled():
            task.exception()
    return SearchResult(
        fares,
        late=tuple(sorted(names[task] for task in pending)),
        failed=tuple(sorted(failed)),
    )


async def main() -> None:
    sources = [
        FakeSource("tap", 120, latency=0.4),
        FakeSource("sas", 95, latency=1.2),
        FakeSource("klm", 110, latency=0.8, broken=True),
        FakeSource("norse", 60, latency=5.0),
    ]
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await search_fares(sources, "LIS-OSL", deadline=2.0)
    print(f"after {loop.time() - started:.1f} s: {result}")


if __name__ == "__main__":
    asyncio.run(main())
