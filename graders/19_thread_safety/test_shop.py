"""Grades exercises/19_thread_safety/shop.py: no lost hits, no overselling, no late binding.

The races are provoked on purpose: the store yields to other threads between read and
write, Python is told to switch threads as often as it can, and the threads start together
from a barrier. Code without the right lock loses hundreds of hits, every run.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from katagrader import ThreadInFlight, learner_module, within

shop = learner_module("shop")

THREADS = 8
HITS_PER_THREAD = 100


class RacyStore:
    """A counter store whose read and write each let other threads run."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def read(self, key: str) -> int:
        value = self.values.get(key, 0)
        time.sleep(0)  # give the other threads the chance to read the same value
        return value

    def write(self, key: str, value: int) -> None:
        time.sleep(0)
        self.values[key] = value


@contextmanager
def frequent_thread_switches() -> Iterator[None]:
    """Make the interpreter switch threads as often as it can, so races show at once."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def hammer(counter: Any, page: str) -> list[int]:
    """Call counter.hit(page) HITS_PER_THREAD times from each of THREADS threads started
    together; return every number hit() returned. Threads are always joined."""
    barrier = threading.Barrier(THREADS, timeout=5)
    returned: list[list[int]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            for _ in range(HITS_PER_THREAD):
                returned[index].append(counter.hit(page))
        except threading.BrokenBarrierError:
            pass  # another worker failed; its error is the one to report
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [
        threading.Thread(target=worker, args=(i,), name=f"web-{i}", daemon=True)
        for i in range(THREADS)
    ]
    with frequent_thread_switches():
        try:
            for thread in threads:
                thread.start()
        finally:
            for thread in threads:
                thread.join(timeout=10)
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, (
        f"threads {stuck} were still inside counter.hit('{page}') after 10 s: a deadlock? A "
        "threading.Lock is not re-entrant: taking it again while holding it waits forever."
    )
    if errors:
        raise errors[0]
    return [n for numbers in returned for n in numbers]


@pytest.mark.task(1)
def test_counts_each_page_separately() -> None:
    """hit returns the page's new count and stores it, each page on its own."""
    store = RacyStore()
    counter = shop.HitCounter(store)
    got = [counter.hit("/home"), counter.hit("/home"), counter.hit("/about")]
    assert got == [1, 2, 1], (
        f"hit('/home'), hit('/home'), hit('/about') returned {got}; expected [1, 2, 1]: "
        "read the page's count, write count + 1, return the new count."
    )
    assert store.values == {"/home": 2, "/about": 1}, (
        f"after those hits the store holds {store.values}; expected {{'/home': 2, '/about': 1}}."
    )


@pytest.mark.task(1)
def test_no_hit_is_lost() -> None:
    """8 threads hitting a page 100 times each leave exactly 800 in the store."""
    store = RacyStore()
    counter = shop.HitCounter(store)
    hammer(counter, "/home")
    total = THREADS * HITS_PER_THREAD
    stored = store.values.get("/home", 0)
    assert stored == total, (
        f"{THREADS} threads called hit('/home') {HITS_PER_THREAD} times each, and the store "
        f"holds {stored}; expected {total}. {total - stored} hits were lost: two threads read "
        "the same count, both wrote count + 1. Hold one threading.Lock across the whole "
        "read-modify-write (`with self._lock:` around both the read and the write)."
    )


@pytest.mark.task(1)
def test_every_hit_gets_its_own_number() -> None:
    """Across 8 threads, the 800 hits return the numbers 1 to 800, each once."""
    counter = shop.HitCounter(RacyStore())
    numbers = sorted(hammer(counter, "/sale"))
    total = THREADS * HITS_PER_THREAD
    duplicates = len(numbers) - len(set(numbers))
    assert numbers == list(range(1, total + 1)), (
        f"the {total} concurrent hits returned {len(set(numbers))} different numbers "
        f"({duplicates} repeated); expected 1 to {total}, each once. The number a hit returns "
        "must be the one it stored, decided under the same lock as the write."
    )


class ProbedStock:
    """A stock service whose every call lets the other coroutines run."""

    def __init__(self, stock: dict[str, int]) -> None:
        self.stock = dict(stock)
        self.lowest = dict(stock)

    async def available(self, sku: str) -> int:
        await asyncio.sleep(0)
        return self.stock.get(sku, 0)

    async def set_available(self, sku: str, quantity: int) -> None:
        await asyncio.sleep(0)
        self.stock[sku] = quantity
        self.lowest[sku] = min(self.lowest.get(sku, quantity), quantity)


@pytest.mark.task(2)
async def test_reserve_takes_from_the_stock() -> None:
    """reserve takes the quantity when there is enough, and refuses (changing nothing) otherwise."""
    stock = ProbedStock({"mug": 5})
    store = shop.Shop(stock)
    first = await within(2, store.reserve("mug", 2), what="reserve('mug', 2) with 5 in stock")
    second = await within(2, store.reserve("mug", 4), what="reserve('mug', 4) with 3 left")
    assert (first, second) == (True, False), (
        f"reserve('mug', 2) then reserve('mug', 4) with 5 mugs returned {first!r}, {second!r}; "
        "expected True (3 left), then False (not enough)."
    )
    assert stock.stock["mug"] == 3, (
        f"after those orders the stock holds {stock.stock['mug']} mugs; expected 3: a refused "
        "order leaves the stock as it was."
    )


@pytest.mark.task(2)
async def test_concurrent_orders_never_oversell() -> None:
    """Ten concurrent orders for 3 mugs: exactly 3 succeed and the stock ends at 0."""
    stock = ProbedStock({"mug": 3})
    store = shop.Shop(stock)
    results = await within(
        5,
        asyncio.gather(*(store.reserve("mug", 1) for _ in range(10))),
        what="gather of 10 reserve('mug', 1) with 3 in stock",
    )
    sold = sum(1 for r in results if r)
    assert sold == 3 and stock.stock["mug"] == 0, (
        f"10 concurrent reserve('mug', 1) with 3 mugs in stock: {sold} succeeded and the stock "
        f"ends at {stock.stock['mug']}; expected 3 and 0. Each order checked the stock, then "
        "awaited, and meanwhile the others checked the same stock. Take an asyncio.Lock "
        "around the check *and* the update (`async with self._lock:`)."
    )
    assert stock.lowest["mug"] >= 0, f"the stock went down to {stock.lowest['mug']}."


class ProbedRenderer:
    """Renders `thumbs/<name>.png` and counts renders in flight. A render first waits (up to
    `patience` seconds, once per probe) until `expected` renders have run together, so no
    render finishes before all of them have been submitted."""

    def __init__(self, expected: int, hold: float = 0.05, patience: float = 1.0) -> None:
        self.expected = expected
        self.hold = hold
        self.patience = patience
        self.in_flight = ThreadInFlight()
        self.rendered: list[str] = []
        self._condition = threading.Condition()
        self._gave_up = False

    def render(self, image: str) -> str:
        self.rendered.append(image)
        with self.in_flight:
            with self._condition:
                self._condition.notify_all()
                if not self._gave_up and not self._condition.wait_for(
                    lambda: self.in_flight.peak >= self.expected, timeout=self.patience
                ):
                    self._gave_up = True
            time.sleep(self.hold)
        return thumb(image)


def thumb(image: str) -> str:
    return f"thumbs/{image.rsplit('.', 1)[0]}.png"


IMAGES = ["cat.jpg", "dog.jpg", "fox.jpg", "owl.jpg"]


def run_render_all(renderer: ProbedRenderer, workers: int) -> tuple[Any, list[tuple[str, str]]]:
    reports: list[tuple[str, str]] = []
    lock = threading.Lock()

    def on_done(image: str, thumbnail: str) -> None:
        with lock:
            reports.append((image, thumbnail))

    result = shop.render_all(renderer, list(IMAGES), workers, on_done)
    return result, reports


@pytest.mark.task(3)
def test_each_report_names_its_own_image() -> None:
    """on_done is called once per image, with that image's own thumbnail."""
    _, reports = run_render_all(ProbedRenderer(expected=len(IMAGES)), workers=len(IMAGES))
    expected = sorted((image, thumb(image)) for image in IMAGES)
    assert sorted(reports) == expected, (
        f"render_all reported {sorted(reports)}; expected each image once with its own "
        f"thumbnail: {expected}. A callback made with `lambda f: on_done(image, ...)` in a "
        "loop looks `image` up when it runs, after the loop has moved on: every report then "
        "names the last image. Bind the value now: `functools.partial(fn, image)` or "
        "`lambda f, image=image: ...`."
    )


@pytest.mark.task(3)
def test_returns_every_thumbnail() -> None:
    """render_all returns {image: thumbnail} for every image, each rendered once."""
    renderer = ProbedRenderer(expected=2)
    result, _ = run_render_all(renderer, workers=2)
    expected = {image: thumb(image) for image in IMAGES}
    assert dict(result) == expected, f"render_all returned {result!r}; expected {expected!r}."
    assert sorted(renderer.rendered) == sorted(IMAGES), (
        f"renderer.render was called for {renderer.rendered}; expected each image once."
    )


@pytest.mark.task(3)
def test_renders_workers_images_at_once() -> None:
    """With workers=2, exactly two renders run at the same time."""
    renderer = ProbedRenderer(expected=2)
    run_render_all(renderer, workers=2)
    assert renderer.in_flight.peak == 2, (
        f"render_all(renderer, 4 images, workers=2) had at most {renderer.in_flight.peak} "
        "render(s) running at once; expected 2. Submit every image to a "
        "ThreadPoolExecutor(max_workers=workers) before waiting for any."
    )
