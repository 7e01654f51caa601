"""Grades exercises/19_thread_safety/shop.py: no lost hits, no overselling, no late binding.

The races are provoked on purpose: the store yields to other threads between read and
write, Python is told to switch threads as often as it can, and the threads start together
from a barrier. Code without the right lock loses hundreds of hits, every run. A read made
after the thread's own write in the same hit (a count read back to return it) is held until
another thread has written: after the lock was released that always shows; under the lock
nobody can write, and the store stops waiting after one try. The stock service logs when
each order reads and writes, so an order reading between another's check and its update is
seen whether or not the totals come out wrong.

Requirements:
- 1: read the count from the store, write count + 1, return it; each page on its own
  -> test_counts_each_page_separately, test_counts_on_from_the_stored_value
- 1: no hit lost under 8 racing threads -> test_no_hit_is_lost
- 1: each hit returns its own number (also when the count is read back) -> test_every_hit_gets_its_own_number
- 1: a store error reaches the caller and releases the lock -> test_a_failed_hit_releases_the_lock
- 2: take when there is enough, refuse and change nothing otherwise
  -> test_reserve_takes_from_the_stock, test_reserve_takes_the_last_items
- 2: concurrent orders never oversell; no read between another order's check and update;
  an asyncio.Lock, not a threading lock -> test_concurrent_orders_never_oversell
- 3: each report names its own image (no late binding) -> test_each_report_names_its_own_image
- 3: reports come from a done-callback, on the rendering thread -> test_each_report_comes_from_a_done_callback
- 3: every thumbnail returned, each image rendered once -> test_returns_every_thumbnail
- 3: `workers` renders at once -> test_renders_workers_images_at_once
- 3: pool shut down and waited for; every report made before return -> test_pool_is_shut_down_before_return
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import os
import sys
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from katagrader import ThreadInFlight, learner_module, within

shop = learner_module("shop")

THREADS = 8
HITS_PER_THREAD = 100


class RacyStore:
    """A counter store whose read and write are round trips: each lets other threads run
    on the way there (before the value is sampled or stored) and on the way back.

    Yielding before the sample matters: a count read again after the lock was released
    (`return self._store.read(page)`) then sees the other threads' writes, as a real store
    would. `fail_next_read` makes the next read raise, as a lost connection would.
    """

    def __init__(self, values: dict[str, int] | None = None) -> None:
        self.values: dict[str, int] = dict(values or {})
        self.fail_next_read = False
        self._writes = 0
        self._changed = threading.Condition()
        self._wrote_this_hit: set[int] = set()  # threads that wrote during their current hit
        self._gave_up = False

    def new_hit(self) -> None:
        """Called by the grader before each hit a thread makes."""
        self._wrote_this_hit.discard(threading.get_ident())

    def read(self, key: str) -> int:
        time.sleep(0)  # the request travels: the other threads run
        if self.fail_next_read:
            self.fail_next_read = False
            raise ConnectionError("stats store: connection lost")
        if threading.get_ident() in self._wrote_this_hit:
            self._let_another_write_land()
        value = self.values.get(key, 0)
        time.sleep(0)  # the answer travels back: the other threads run again
        return value

    def _let_another_write_land(self) -> None:
        """A read made after this thread's own write, in the same hit (to return the count
        read back): hold it until another thread has written, as a slow round trip would.

        Under the learner's lock no other thread can write, so after one wait the store
        stops waiting (and the correct answer costs a fraction of a second once); a read
        made after the lock was released then sees another hit's count, every run.
        """
        with self._changed:
            if self._gave_up:
                return
            seen = self._writes
            if not self._changed.wait_for(lambda: self._writes > seen, timeout=0.5):
                self._gave_up = True

    def write(self, key: str, value: int) -> None:
        time.sleep(0)
        self.values[key] = value
        self._wrote_this_hit.add(threading.get_ident())
        with self._changed:
            self._writes += 1
            self._changed.notify_all()
        time.sleep(0)


@contextmanager
def frequent_thread_switches() -> Iterator[None]:
    """Make the interpreter switch threads as often as it can, so races show at once."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def hammer(counter: Any, store: RacyStore, page: str) -> list[int]:
    """Call counter.hit(page) HITS_PER_THREAD times from each of THREADS threads started
    together; return every number hit() returned. Threads are always joined."""
    barrier = threading.Barrier(THREADS, timeout=5)
    returned: list[list[int]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            for _ in range(HITS_PER_THREAD):
                store.new_hit()
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
def test_counts_on_from_the_stored_value() -> None:
    """hit reads the count already in the store: a page at 41 gets 42."""
    store = RacyStore({"/home": 41})
    counter = shop.HitCounter(store)
    got = counter.hit("/home")
    assert got == 42 and store.values == {"/home": 42}, (
        f"with '/home' at 41 in the store, hit('/home') returned {got!r} and left the store at "
        f"{store.values}; expected 42 in both. The count lives in the store (other servers "
        "count there too): read it, write count + 1."
    )


@pytest.mark.task(1)
def test_a_failed_hit_releases_the_lock() -> None:
    """When the store raises, hit raises the same error, and the next hit still works."""
    store = RacyStore()
    counter = shop.HitCounter(store)
    store.fail_next_read = True
    outcome: list[object] = []
    crashed: list[BaseException] = []

    def two_hits() -> None:
        try:
            try:
                counter.hit("/home")
                outcome.append("no error")
            except ConnectionError as exc:
                outcome.append(exc)
            outcome.append(counter.hit("/home"))
        except BaseException as exc:  # reported by the test, on its own thread
            crashed.append(exc)

    thread = threading.Thread(target=two_hits, name="web-retry", daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive(), (
        "after a hit whose store read raised ConnectionError, the next hit('/home') waited "
        "for more than 5 s: the lock was never released. `with self._lock:` releases it on "
        "the way out, even on error (acquire() and release() need a try/finally)."
    )
    if crashed:
        raise crashed[0]
    assert outcome and isinstance(outcome[0], ConnectionError), (
        f"hit('/home') with a store whose read raised ConnectionError gave {outcome[:1]}; "
        "expected the ConnectionError to reach the caller."
    )
    assert outcome[1:] == [1], (
        f"the hit after the failed one returned {outcome[1:]}; expected 1 (the failed hit "
        "stored nothing)."
    )


@pytest.mark.task(1)
def test_no_hit_is_lost() -> None:
    """8 threads hitting a page 100 times each leave exactly 800 in the store."""
    store = RacyStore()
    counter = shop.HitCounter(store)
    hammer(counter, store, "/home")
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
    store = RacyStore()
    counter = shop.HitCounter(store)
    numbers = sorted(hammer(counter, store, "/sale"))
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
        self.events: list[tuple[str, object]] = []  # ("read" or "write", the order's task)
        self.stale_updates = 0

    async def available(self, sku: str) -> int:
        await asyncio.sleep(0)  # the request travels: other orders run
        self.events.append(("read", asyncio.current_task()))  # the stock is read now
        await asyncio.sleep(0)  # the answer travels back
        return self.stock.get(sku, 0)

    async def set_available(self, sku: str, quantity: int) -> None:
        # A write is a slower round trip than a read (three steps of the loop before it
        # lands): an order that releases its lock before its update has landed lets the
        # next order read the old stock, on every run.
        for _ in range(3):
            await asyncio.sleep(0)
        order = asyncio.current_task()
        # Another order's read made between this order's read and this write saw a stock
        # this order was about to change: a check-then-act race, whether or not it oversold.
        last_read = max(
            (i for i, (kind, task) in enumerate(self.events) if kind == "read" and task is order),
            default=-1,
        )
        if any(k == "read" and t is not order for k, t in self.events[last_read + 1 :]):
            self.stale_updates += 1
        self.events.append(("write", order))
        self.stock[sku] = quantity
        self.lowest[sku] = min(self.lowest.get(sku, quantity), quantity)


THREAD_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


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
async def test_reserve_takes_the_last_items() -> None:
    """An order for exactly what is left succeeds and leaves 0."""
    stock = ProbedStock({"mug": 3})
    store = shop.Shop(stock)
    got = await within(2, store.reserve("mug", 3), what="reserve('mug', 3) with 3 in stock")
    assert got is True and stock.stock["mug"] == 0, (
        f"reserve('mug', 3) with exactly 3 mugs in stock returned {got!r} and left "
        f"{stock.stock['mug']}; expected True and 0: 'at least quantity' includes equal."
    )


@pytest.mark.task(2)
async def test_concurrent_orders_never_oversell() -> None:
    """Ten concurrent orders for 3 mugs: exactly 3 succeed and the stock ends at 0."""
    stock = ProbedStock({"mug": 3})
    store = shop.Shop(stock)
    # A threading.Lock held across an `await` freezes the loop for good: the second order
    # blocks the loop's thread in acquire(), and the first can never resume to release it.
    # No timeout can interrupt that, so it is looked for before the orders run.
    thread_locks = sorted(
        name for name, value in vars(store).items() if isinstance(value, THREAD_LOCK_TYPES)
    )
    assert not thread_locks, (
        f"Shop holds a threading lock ({', '.join(thread_locks)}). Held across an `await`, "
        "it freezes the event loop for good: the next order blocks the loop's only thread in "
        "acquire(), so the order holding the lock can never resume to release it. Orders are "
        "coroutines: use an asyncio.Lock, whose waiters suspend instead of blocking."
    )
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
    assert stock.stale_updates == 0, (
        f"10 concurrent reserve('mug', 1): {stock.stale_updates} update(s) of the stock were "
        "made after another order had already asked for the stock in between, so that order "
        "decided on a count that was about to change (here the totals happened to come out "
        "right). Hold the asyncio.Lock from the check through the update."
    )


class ProbedRenderer:
    """Renders `thumbs/<name>.png` and counts renders in flight. A render first waits (up to
    `patience` seconds, once per probe) until `expected` renders have run together, so no
    render finishes before all of them have been submitted."""

    def __init__(
        self,
        expected: int,
        hold: float = 0.05,
        patience: float = 1.0,
        await_callbacks: bool = False,
    ) -> None:
        self.expected = expected
        # With `await_callbacks`, a render also waits (up to `patience`) until its future has
        # a done-callback, so a callback registered right after submit() always finds the
        # future pending, however slowly the submitting thread runs.
        self.await_callbacks = await_callbacks
        self.hold = hold
        self.patience = patience
        self.in_flight = ThreadInFlight()
        self.rendered: list[str] = []
        self.render_threads: dict[str, int] = {}
        self._condition = threading.Condition()
        self._gave_up = False

    def render(self, image: str) -> str:
        self.rendered.append(image)
        self.render_threads[image] = threading.get_ident()
        with self.in_flight:
            with self._condition:
                self._condition.notify_all()
                if not self._gave_up and not self._condition.wait_for(
                    lambda: self.in_flight.peak >= self.expected, timeout=self.patience
                ):
                    self._gave_up = True
            if self.await_callbacks:
                self._wait_for_a_callback()
            time.sleep(self.hold)
        return thumb(image)

    def _wait_for_a_callback(self) -> None:
        future = _running_future()
        deadline = time.monotonic() + self.patience
        while future is not None and not future._done_callbacks and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.001)


_WORK_ITEM_FILE = os.path.join("concurrent", "futures", "thread.py")


def _running_future() -> concurrent.futures.Future[Any] | None:
    """The future of the ThreadPoolExecutor work item this thread is running, if any."""
    frame: types.FrameType | None = sys._getframe()
    while frame is not None:
        code = frame.f_code
        if code.co_name == "run" and code.co_filename.endswith(_WORK_ITEM_FILE):
            future = getattr(frame.f_locals.get("self"), "future", None)
            return future if isinstance(future, concurrent.futures.Future) else None
        frame = frame.f_back
    return None


def thumb(image: str) -> str:
    return f"thumbs/{image.rsplit('.', 1)[0]}.png"


IMAGES = ["cat.jpg", "dog.jpg", "fox.jpg", "owl.jpg"]


@dataclasses.dataclass
class RenderRun:
    result: Any
    reports: list[tuple[str, str]]
    report_threads: dict[str, int]  # image -> the thread that called on_done for it
    reports_at_return: int  # how many on_done calls had been made when render_all returned


def run_render_all(renderer: ProbedRenderer, workers: int) -> RenderRun:
    reports: list[tuple[str, str]] = []
    threads: dict[str, int] = {}
    lock = threading.Lock()

    def on_done(image: str, thumbnail: str) -> None:
        with lock:
            reports.append((image, thumbnail))
            threads[image] = threading.get_ident()

    result = shop.render_all(renderer, list(IMAGES), workers, on_done)
    with lock:
        at_return = len(reports)
    return RenderRun(result, reports, threads, at_return)


class PoolTracker:
    """Records every ThreadPoolExecutor created during a test and its shutdown() calls, and
    whether a waiting one had returned. Looking at the threads instead would make
    `shutdown(wait=False)` a matter of luck: its threads end a moment later."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.created: list[concurrent.futures.ThreadPoolExecutor] = []
        self.waited: set[int] = set()
        self.calls: list[str] = []
        original_init: Any = concurrent.futures.ThreadPoolExecutor.__init__
        original_shutdown: Any = concurrent.futures.ThreadPoolExecutor.shutdown
        tracker = self

        def init(pool: concurrent.futures.ThreadPoolExecutor, *args: Any, **kwargs: Any) -> None:
            original_init(pool, *args, **kwargs)
            tracker.created.append(pool)

        def shutdown(
            pool: concurrent.futures.ThreadPoolExecutor,
            wait: bool = True,
            *,
            cancel_futures: bool = False,
        ) -> None:
            tracker.calls.append(f"shutdown(wait={wait})")
            original_shutdown(pool, wait=wait, cancel_futures=cancel_futures)
            if wait:
                tracker.waited.add(id(pool))

        monkeypatch.setattr(concurrent.futures.ThreadPoolExecutor, "__init__", init)
        monkeypatch.setattr(concurrent.futures.ThreadPoolExecutor, "shutdown", shutdown)

    def not_waited_for(self) -> int:
        return sum(1 for pool in self.created if id(pool) not in self.waited)

    def close_leftovers(self) -> None:
        for pool in self.created:
            if id(pool) not in self.waited:
                pool.shutdown(wait=True)


@pytest.mark.task(3)
def test_each_report_names_its_own_image() -> None:
    """on_done is called once per image, with that image's own thumbnail."""
    reports = run_render_all(ProbedRenderer(expected=len(IMAGES)), workers=len(IMAGES)).reports
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
    result = run_render_all(renderer, workers=2).result
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


@pytest.mark.task(3)
def test_each_report_comes_from_a_done_callback() -> None:
    """on_done(image, ...) runs as soon as that image is rendered: on the thread that
    rendered it (a done-callback), not later from the caller's loop."""
    renderer = ProbedRenderer(expected=len(IMAGES), await_callbacks=True)
    run = run_render_all(renderer, workers=len(IMAGES))
    here = threading.get_ident()
    late = sorted(
        image
        for image, thread in run.report_threads.items()
        if thread != renderer.render_threads.get(image)
    )
    assert run.report_threads and not late, (
        f"on_done was called for {late} from "
        + (
            "render_all's own thread"
            if here in {run.report_threads[i] for i in late}
            else "a thread"
        )
        + " other than the one that rendered that image: after the renders, not as each one "
        "finished. Register the report on each future with `future.add_done_callback(...)`: "
        "the pool's thread runs it the moment the render ends."
    )


@pytest.mark.task(3)
def test_pool_is_shut_down_before_return(monkeypatch: pytest.MonkeyPatch) -> None:
    """render_all shuts its pool down and waits for it: when it returns, every report has
    been made and no render thread is left."""
    renderer = ProbedRenderer(expected=2)
    pools = PoolTracker(monkeypatch)
    try:
        run = run_render_all(renderer, workers=2)
        left_open = pools.not_waited_for()
    finally:
        pools.close_leftovers()
    assert pools.created and not left_open, (
        f"render_all created {len(pools.created)} ThreadPoolExecutor(s) and returned with "
        f"{left_open} of them not shut down and waited for (calls seen: {pools.calls or 'none'}). "
        "shutdown(wait=False) returns before the threads (and the done-callbacks they run) have "
        "finished: use `with ThreadPoolExecutor(max_workers=workers) as pool:`."
        if pools.created
        else "render_all created no ThreadPoolExecutor: render on a "
        "ThreadPoolExecutor(max_workers=workers) (step 3)."
    )
    assert run.reports_at_return == len(IMAGES), (
        f"when render_all returned, on_done had been called {run.reports_at_return} time(s) "
        f"of {len(IMAGES)}: reports were still to come after the call ended."
    )
