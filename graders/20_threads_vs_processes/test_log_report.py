"""Grades exercises/20_threads_vs_processes/log_report.py: CPU work on processes, I/O on threads.

Worker processes receive `crunch` by reference (module name + function name) and must be able
to import the learner's module by that name. The grader imports it by path under a private
name (`_kata_20_threads_vs_processes_log_report`); with the `fork` start method (Linux up to
Python 3.13) the workers inherit it, but `spawn` and `forkserver` (Linux from 3.14, macOS,
Windows) start fresh interpreters. The `importable_by_workers` fixture therefore puts a tiny
module of that name on `sys.path` that executes the learner's file, so the pool works with
every start method and the learner can write the plain `ProcessPoolExecutor(max_workers=n)`.

The shutdown is observed by wrapping each pool's `shutdown()` (PoolTracker): with which
arguments, on which thread, and whether it had returned when the learner's call ended.
Counting live processes or threads instead would make `shutdown(wait=False)` a matter of
luck (its workers end a moment later), and the blocking `with` block is seen as a
`shutdown(wait=True)` made on the loop's thread, whatever the machine's speed.

Requirements:
- 1: crunch every path, results in the order of paths -> test_crunch_all_matches_sequential_results
- 1: an empty list gives an empty list -> test_crunch_all_of_nothing
- 1: the crunch runs on a process pool, not the loop or threads -> test_crunch_runs_in_other_processes
- 1: one pool of `workers` processes, at most `workers` pids -> test_crunch_uses_one_pool_of_workers_processes
- 1: `workers` crunches at once (every path submitted before awaiting) -> test_crunch_runs_in_parallel
- 1: shut down and waited for before returning (not wait=False, not left to GC)
  -> test_process_pool_is_shut_down
- 1: the waiting shutdown runs off the event loop (no `with` block in the coroutine)
  -> test_process_pool_is_shut_down_off_the_loop, test_cancelled_crunch_all_shuts_the_pool_down
- 1: on error: the error raised, pool shut down, queued crunches cancelled (cancel_futures)
  -> test_crunch_error_cancels_the_queued_crunches
- 1: on cancellation: CancelledError, pool shut down off the loop, queued crunches dropped,
  the shutdown made with cancel_futures=True (seen by the tracker, though gather's own
  cancellation already drops the queued jobs) -> test_cancelled_crunch_all_shuts_the_pool_down
- 2: the paths in the order of names, each name downloaded once -> test_download_all_returns_paths_in_order
- 2: exactly `workers` downloads at once -> test_downloads_overlap_up_to_workers
- 2: downloads never on the event loop's thread -> test_downloads_run_off_the_event_loop
- 2: thread pool shut down, waited for, off the loop; its threads ended
  -> test_download_threads_end_before_return
- 2: on error: the error raised, pool shut down, queued downloads cancelled (cancel_futures)
  -> test_download_error_cancels_the_queued_downloads
- 2: on cancellation: CancelledError, pool shut down off the loop with cancel_futures=True,
  queued downloads dropped -> test_cancelled_download_all_shuts_the_pool_down
- checks: how fast the processes are -> not graded: a speed ratio on a busy 2-core machine is luck
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import errno
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from katagrader import ThreadInFlight, learner_module, leaves, outcome, within

log_report = learner_module("log_report")

LOGS = {
    "web-1.log": "GET /cart 200 12ms\nPOST /checkout 503 80ms\nGET /cart 200 9ms\n",
    "web-2.log": "GET / 200 3ms\nGET /search 500 40ms\nGET /search 200 31ms\nGET / 404 2ms\n",
    "web-3.log": "GET /login 301 5ms\n",
    "web-4.log": "POST /api/items 201 17ms\nPOST /api/items 500 90ms\nGET /api/items 200 8ms\n",
}
SHORT_LOG = LOGS["web-3.log"]


@pytest.fixture(autouse=True)
def importable_by_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Make the learner's module importable by its private name in fresh worker processes,
    and end any worker process a test left behind."""
    added: str | None = None
    try:
        module = log_report.load()
    except Exception:  # a broken module is reported by the test itself
        module = None
    if module is not None and getattr(module, "__file__", None):
        shim_dir = tmp_path_factory.mktemp("workers-import")
        (shim_dir / f"{module.__name__}.py").write_text(
            f"exec(compile(open({module.__file__!r}, encoding='utf-8').read(), "
            f"{module.__file__!r}, 'exec'))\n",
            encoding="utf-8",
        )
        added = str(shim_dir)
        sys.path.insert(0, added)
    try:
        yield
    finally:
        if added is not None and added in sys.path:
            sys.path.remove(added)
        for child in multiprocessing.active_children():  # a pool the learner never shut down
            child.terminate()
            child.join(5)


def write_logs(directory: Path, names: list[str]) -> list[str]:
    paths = []
    for name in names:
        path = directory / name
        path.write_text(LOGS[name], encoding="utf-8")
        paths.append(str(path))
    return paths


def without_pid(stats: object) -> object:
    return dataclasses.replace(stats, pid=0)  # type: ignore[type-var]


class FifoFeeder:
    """Serves log contents through named pipes and records how many were being read at once.

    `crunch` opens its file and blocks in `open()` until a writer appears. The feeder holds
    every pipe back until `expected` of them have a reader at the same time (or until
    `patience` seconds have passed), so `peak` counts the crunch calls that were running
    together, however slowly the worker processes started. With `release`, it holds them
    back until that event is set instead, and then serves each pipe as soon as it is opened:
    `served` then tells which crunches ever started.
    """

    def __init__(
        self,
        directory: Path,
        names: list[str],
        expected: int,
        patience: float = 4.0,
        release: threading.Event | None = None,
        on_first_reader: Callable[[], object] = lambda: None,
    ) -> None:
        self.paths = []
        for name in names:
            path = directory / name
            os.mkfifo(path)
            self.paths.append(str(path))
        self.contents = {str(directory / n): LOGS.get(n, SHORT_LOG).encode() for n in names}
        self.expected = expected
        self.patience = patience
        self.release = release
        self.peak = 0
        self.served: list[str] = []
        self.on_first_reader = on_first_reader
        self._first_reader_seen = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="grader-fifo-feeder")

    def __enter__(self) -> FifoFeeder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _holding_back(self, held: int, started: float) -> bool:
        if self.release is not None:
            return not self.release.is_set()
        return held < self.expected and time.monotonic() - started <= self.patience

    def _run(self) -> None:
        started = time.monotonic()
        held: dict[str, int] = {}
        holding_back = True
        try:
            while len(self.served) < len(self.paths) and not self._stop.is_set():
                for path in self.paths:
                    if path in held or path in self.served:
                        continue
                    try:
                        held[path] = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                    except OSError as exc:  # ENXIO: nobody is reading this pipe yet
                        if exc.errno != errno.ENXIO:
                            raise
                if held and not self._first_reader_seen:
                    self._first_reader_seen = True
                    self.on_first_reader()
                self.peak = max(self.peak, len(held))
                if holding_back and not self._holding_back(len(held), started):
                    holding_back = False
                if not holding_back:
                    for path, fd in list(held.items()):
                        os.set_blocking(fd, True)
                        os.write(fd, self.contents[path])
                        os.close(fd)
                        del held[path]
                        self.served.append(path)
                time.sleep(0.005)
        finally:
            for fd in held.values():
                os.close(fd)


@pytest.mark.task(1)
async def test_crunch_all_matches_sequential_results(tmp_path: Path) -> None:
    """crunch_all returns what crunch gives for each file, in the order of the paths."""
    paths = write_logs(tmp_path, ["web-2.log", "web-1.log", "web-4.log", "web-3.log"])
    expected = [without_pid(log_report.crunch(p)) for p in paths]
    result = await within(
        30, log_report.crunch_all(paths, 2), what="crunch_all(4 paths, workers=2)"
    )
    got = [without_pid(s) for s in result]
    assert got == expected, (
        f"crunch_all(4 paths, workers=2) returned {got!r} (pids left out); expected "
        f"{expected!r}, what crunch() gives for each path, in the order of the paths. "
        "asyncio.gather keeps the order of its arguments, whatever order the workers finish in."
    )


@pytest.mark.task(1)
async def test_crunch_runs_in_other_processes(tmp_path: Path) -> None:
    """Every crunch call runs in a worker process, not in the grading process."""
    paths = write_logs(tmp_path, list(LOGS))
    result = await within(
        30, log_report.crunch_all(paths, 2), what="crunch_all(4 paths, workers=2)"
    )
    pids = [s.pid for s in result]
    here = os.getpid()
    assert pids and here not in pids, (
        f"crunch_all(4 paths, workers=2) ran crunch in process(es) {sorted(set(pids))}, and "
        f"{here} is the calling process itself: that work ran on the event loop or on a "
        "thread pool. Threads share one GIL, so pure-Python work on threads takes turns on one "
        "core. Run it on a process pool: `loop.run_in_executor(ProcessPoolExecutor(...), crunch, "
        "path)`."
    )


@pytest.mark.task(1)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")
async def test_crunch_runs_in_parallel(tmp_path: Path) -> None:
    """With workers=2, two crunch calls are running at the same moment."""
    names = ["web-1.log", "web-2.log", "web-3.log"]
    with FifoFeeder(tmp_path, names, expected=2) as feeder:
        await within(
            30,
            log_report.crunch_all(feeder.paths, 2),
            what="crunch_all(3 paths, workers=2)",
        )
    assert feeder.peak == 2, (
        f"crunch_all(3 paths, workers=2) had {feeder.peak} crunch call(s) reading a file at "
        "the same moment; expected 2, one per worker process. Submit every path to the pool "
        "before awaiting any result (a list of run_in_executor futures, then asyncio.gather), "
        "and give the pool max_workers=workers."
    )


@dataclasses.dataclass
class Shutdown:
    """One call of a pool's shutdown(), as the tracker saw it."""

    wait: bool
    cancel_futures: bool
    on_loop_thread: bool
    returned: bool = False


class PoolTracker:
    """Records every pool of one executor class created during a test, and every call of its
    `shutdown()`: with which arguments, on which thread, and whether it had returned.

    This observes the shutdown itself rather than the processes or threads: after
    `shutdown(wait=False)` the workers end a moment later, so whether they are still there
    when the call returns is luck; whether a waiting shutdown had returned is not. And a pool
    dropped without `shutdown()` is only cleaned up later by garbage collection.
    `shutdown_called` is set as soon as any shutdown starts (the fifo tests release their
    pipes then, so that the shutdown can finish).
    """

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        kind: type[concurrent.futures.Executor] = concurrent.futures.ProcessPoolExecutor,
    ) -> None:
        self.kind = kind
        self.created: list[concurrent.futures.Executor] = []
        self.max_workers: list[object] = []
        self.shutdowns: dict[int, list[Shutdown]] = {}
        self.shutdown_called = threading.Event()
        self._loop_thread = threading.get_ident()  # made by the test, on the loop's thread
        original_init: Any = kind.__init__
        original_shutdown: Any = kind.shutdown
        tracker = self

        def init(pool: concurrent.futures.Executor, *args: Any, **kwargs: Any) -> None:
            original_init(pool, *args, **kwargs)
            # asyncio's own default executor (to_thread) is not the learner's pool.
            if getattr(pool, "_thread_name_prefix", "") != "asyncio":
                tracker.created.append(pool)
                tracker.max_workers.append(getattr(pool, "_max_workers", None))

        def shutdown(
            pool: concurrent.futures.Executor, wait: bool = True, *, cancel_futures: bool = False
        ) -> None:
            call = Shutdown(wait, cancel_futures, threading.get_ident() == tracker._loop_thread)
            tracker.shutdowns.setdefault(id(pool), []).append(call)
            tracker.shutdown_called.set()
            original_shutdown(pool, wait=wait, cancel_futures=cancel_futures)
            call.returned = True

        monkeypatch.setattr(kind, "__init__", init)
        monkeypatch.setattr(kind, "shutdown", shutdown)

    def calls(self) -> list[Shutdown]:
        return [call for pool in self.created for call in self.shutdowns.get(id(pool), [])]

    def not_shut_down(self) -> int:
        """Pools with no shutdown(wait=True) that had returned: their workers may be alive."""
        return sum(
            1
            for pool in self.created
            if not any(c.wait and c.returned for c in self.shutdowns.get(id(pool), []))
        )

    def blocking_the_loop(self) -> list[Shutdown]:
        return [call for call in self.calls() if call.wait and call.on_loop_thread]

    def close_leftovers(self) -> None:
        for pool in self.created:
            if not any(c.wait and c.returned for c in self.shutdowns.get(id(pool), [])):
                pool.shutdown(wait=True, cancel_futures=True)

    def describe(self) -> str:
        """What was seen, as a phrase: "1 pool, shut down with shutdown(wait=False)"."""
        if not self.created:
            return "no pool"
        parts = []
        for pool in self.created:
            calls = self.shutdowns.get(id(pool), [])
            if not calls:
                parts.append("never shut down")
                continue
            texts = [
                f"shutdown(wait={c.wait}"
                + (", cancel_futures=True" if c.cancel_futures else "")
                + ")"
                + (" on the event loop's thread" if c.on_loop_thread else " on another thread")
                for c in calls
            ]
            parts.append("shut down with " + " then ".join(texts))
        return f"{len(self.created)} pool(s): " + "; ".join(parts)


SHUT_DOWN_OFF_THE_LOOP = (
    "Shut the pool down off the loop and wait for it: "
    "`await asyncio.to_thread(pool.shutdown, wait=True)` in a `finally`."
)


@pytest.mark.task(1)
async def test_crunch_uses_one_pool_of_workers_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """crunch_all creates one process pool of `workers` processes, and the crunches ran in
    at most `workers` different processes."""
    paths = write_logs(tmp_path, list(LOGS))
    pools = PoolTracker(monkeypatch)
    try:
        result = await within(
            30, log_report.crunch_all(paths, 3), what="crunch_all(4 paths, workers=3)"
        )
    finally:
        pools.close_leftovers()
    pids = sorted({s.pid for s in result})
    assert len(pools.created) == 1 and pools.max_workers == [3], (
        f"crunch_all(4 paths, workers=3) created {len(pools.created)} ProcessPoolExecutor(s) "
        f"with max_workers {pools.max_workers}; expected one pool with max_workers=3, shared "
        "by every path: `workers` is the limit on processes."
        + (
            " Each pool starts processes of its own, so a pool per path is a process per path."
            if len(pools.created) > 1
            else " ProcessPoolExecutor() without max_workers starts one process per CPU."
            if pools.max_workers and pools.max_workers[0] != 3
            else ""
        )
    )
    assert len(pids) <= 3, (
        f"crunch_all(4 paths, workers=3) ran crunch in {len(pids)} different processes "
        f"{pids}; expected at most 3, the pool's workers."
    )


@pytest.mark.task(1)
async def test_process_pool_is_shut_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When crunch_all returns, a waiting shutdown of its process pool has returned: no
    worker is left."""
    paths = write_logs(tmp_path, list(LOGS))
    pools = PoolTracker(monkeypatch)
    try:
        result = await within(
            30, log_report.crunch_all(paths, 2), what="crunch_all(4 paths, workers=2)"
        )
        left_open = pools.not_shut_down()
        seen = pools.describe()
    finally:
        pools.close_leftovers()
    assert pools.created, (
        "crunch_all(4 paths, workers=2) created no ProcessPoolExecutor: the crunch must run on "
        "a process pool (step 1)."
    )
    assert not left_open, (
        f"crunch_all(4 paths, workers=2) returned with {left_open} process pool(s) not shut "
        f"down and waited for ({seen}). A ProcessPoolExecutor keeps its worker processes until "
        "it is shut down, and shutdown(wait=False) returns before they have ended. "
        + SHUT_DOWN_OFF_THE_LOOP
    )
    alive = multiprocessing.active_children()
    assert not alive, (
        f"after crunch_all(4 paths, workers=2) returned, {len(alive)} worker process(es) were "
        f"still running ({', '.join(str(p.pid) for p in alive)}); the crunch ran in "
        f"{sorted({s.pid for s in result})}."
    )


@pytest.mark.task(1)
async def test_process_pool_is_shut_down_off_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The waiting shutdown of the process pool runs on another thread, never on the event
    loop's: shutdown(wait=True) blocks until the workers have ended."""
    paths = write_logs(tmp_path, list(LOGS))
    pools = PoolTracker(monkeypatch)
    try:
        await within(30, log_report.crunch_all(paths, 2), what="crunch_all(4 paths, workers=2)")
    finally:
        pools.close_leftovers()
    assert not pools.blocking_the_loop(), (
        f"crunch_all(4 paths, workers=2) called shutdown(wait=True) on the event loop's own "
        f"thread ({pools.describe()}). That call blocks until every running crunch and every "
        "worker process has ended, and the whole loop stands still meanwhile: on an error or "
        "a timeout that is as long as the crunches still running. `with ProcessPoolExecutor"
        "(...) as pool:` inside a coroutine does exactly this on the way out. "
        + SHUT_DOWN_OFF_THE_LOOP
    )


@pytest.mark.task(1)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")
async def test_crunch_error_cancels_the_queued_crunches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a crunch fails, crunch_all raises its error, cancels the crunches that had not
    started (cancel_futures=True) and has shut the pool down when it raises."""
    release = threading.Event()
    names = [f"queued-{n}.log" for n in range(6)]
    pools = PoolTracker(monkeypatch)
    pools.shutdown_called = release  # the pipes are served once the shutdown has begun
    missing = str(tmp_path / "missing.log")
    with FifoFeeder(tmp_path, names, expected=0, release=release) as feeder:
        try:
            _, error = await outcome(
                30,
                log_report.crunch_all([missing, *feeder.paths], 1),
                what="crunch_all([a missing file, 6 more], workers=1)",
            )
            left_open = pools.not_shut_down()
            seen = pools.describe()
        finally:
            release.set()
            pools.close_leftovers()
    # An ExceptionGroup around it (a TaskGroup instead of gather) is as good.
    assert error is not None and any(isinstance(e, FileNotFoundError) for e in leaves(error)), (
        "crunch_all([a missing file, 6 more], workers=1) "
        + (f"raised {error!r}" if error else "returned normally")
        + "; expected the FileNotFoundError that crunch raised for the missing file (alone, "
        "or in an ExceptionGroup)."
    )
    assert pools.created and not left_open, (
        f"crunch_all([a missing file, 6 more], workers=1) raised with {left_open} process "
        f"pool(s) not shut down and waited for ({seen}): shut the pool down on the way out "
        "even on error (try/finally)."
    )
    started = len(feeder.served)
    assert started < len(names), (
        f"crunch_all([a missing file, 6 more], workers=1) failed on its first file, yet all "
        f"{started} other crunches ran before it raised ({seen}). A failed crunch_all has no "
        "use for the rest: shut the pool down with cancel_futures=True on an error, so that "
        "the crunches still queued in the pool are dropped (only those under way are waited for)."
    )


async def cancel_once_started(
    call: asyncio.Future[Any],
    started: asyncio.Event,
    release: threading.Event,
    pools: PoolTracker,
    what: str,
    job: str,
) -> tuple[int, str]:
    """Cancel `call` once its first `job` has started; return the pools it left not shut
    down and what was seen of them, both taken when the call ended. Whatever happens, the
    held job is released and leftover pools are closed."""
    first = asyncio.ensure_future(started.wait())
    try:
        await asyncio.wait({first, call}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
        if call.done():
            call.result()  # it ended before any job started: report why
            pytest.fail(f"{what} returned before any {job} started.")
        if not first.done():
            pytest.fail(f"{what} started no {job} within 20 s.")
        call.cancel()
        await asyncio.wait({call}, timeout=20)
        return pools.not_shut_down(), pools.describe()
    finally:
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
        release.set()
        if not call.done():
            call.cancel()
            await asyncio.wait({call}, timeout=10)
        pools.close_leftovers()


def how_it_ended(call: asyncio.Future[Any]) -> str:
    if not call.done():
        return "did not end within 20 s"
    if call.cancelled():
        return "ended with CancelledError"
    if call.exception():
        return f"ended with {call.exception()!r}"
    return "returned normally"


@pytest.mark.task(1)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")
async def test_cancelled_crunch_all_shuts_the_pool_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled while crunching, crunch_all ends with CancelledError, the queued crunches
    never start, and the pool has been shut down, off the loop, when it ends."""
    release = threading.Event()
    names = [f"queued-{n}.log" for n in range(6)]
    pools = PoolTracker(monkeypatch)
    pools.shutdown_called = release
    loop = asyncio.get_running_loop()
    crunching = asyncio.Event()
    with FifoFeeder(
        tmp_path,
        names,
        expected=0,
        release=release,
        on_first_reader=lambda: loop.call_soon_threadsafe(crunching.set),
    ) as feeder:
        # The learner's coroutine as a task of its own (not under within(), which returns
        # as soon as it is cancelled): the test must see when the call itself ends.
        call = asyncio.ensure_future(log_report.crunch_all(feeder.paths, 1))
        left_open, seen = await cancel_once_started(
            call, crunching, release, pools, "crunch_all(6 paths, workers=1)", "crunch"
        )
    ended = how_it_ended(call)
    assert call.done() and call.cancelled(), (
        f"crunch_all(6 paths, workers=1), cancelled while crunching, {ended}; expected it to "
        "end with CancelledError. Clean up in a `finally` and let the CancelledError propagate."
    )
    assert not pools.blocking_the_loop(), (
        f"cancelled, crunch_all(6 paths, workers=1) called shutdown(wait=True) on the event "
        f"loop's thread ({seen}): the loop stood still until the running crunch ended. "
        + SHUT_DOWN_OFF_THE_LOOP
    )
    assert pools.created and not left_open, (
        f"cancelled, crunch_all(6 paths, workers=1) ended with {left_open} process pool(s) not "
        f"shut down and waited for ({seen}): the worker processes outlived the call."
    )
    assert len(feeder.served) < len(names), (
        f"cancelled while its first crunch ran, crunch_all(6 paths, workers=1) still ran all "
        f"{len(feeder.served)} crunches before it ended ({seen}). Cancelling the awaited "
        "futures (gather does it when cancelled) or shutdown(cancel_futures=True) drops the "
        "crunches not yet handed to a worker."
    )
    assert any(call.cancel_futures for call in pools.calls()), (
        f"cancelled while crunching, crunch_all(6 paths, workers=1) shut its pool down "
        f"without cancel_futures=True ({seen}); expected cancel_futures=True on a cancellation "
        "as on an error (step 1). Here the cancelled gather happened to cancel its futures "
        "itself, but the pool should not be left to run queued jobs that nobody awaits any "
        "more. CancelledError is a BaseException, not an Exception: `except Exception` does "
        "not see it. Catch BaseException, or decide in the `finally` from a flag set once "
        "gather has returned: `cancel_futures=not finished`."
    )


@pytest.mark.task(1)
async def test_crunch_all_of_nothing() -> None:
    """No paths gives an empty list."""
    result = await within(10, log_report.crunch_all([], 2), what="crunch_all([], workers=2)")
    assert list(result) == [], f"crunch_all([], workers=2) returned {result!r}; expected []."


class ProbedStore:
    """A blocking archive that records which thread ran each download and how many overlapped.

    A download blocks its thread for `hold` seconds. So that the peak does not depend on how
    fast threads start on a busy machine, a download first waits (up to `patience` seconds,
    once per probe) until `expected` downloads are in flight together.
    """

    def __init__(self, expected: int = 1, hold: float = 0.1, patience: float = 2.0) -> None:
        self.expected = expected
        self.hold = hold
        self.patience = patience
        self.in_flight = ThreadInFlight()
        self.calls: list[str] = []
        self.threads: list[threading.Thread] = []
        self._condition = threading.Condition()
        self._gave_up = False
        self._loop_thread = threading.get_ident()  # the probe is made on the loop's thread

    def download(self, name: str, dest_dir: str) -> str:
        self.calls.append(name)
        self.threads.append(threading.current_thread())
        with self.in_flight:
            if threading.get_ident() == self._loop_thread:
                # On the event loop's own thread nothing else can start: waiting for company
                # would only stall the loop. Another check reports where it ran.
                return self._write(name, dest_dir)
            with self._condition:
                self._condition.notify_all()
                if not self._gave_up and not self._condition.wait_for(
                    lambda: self.in_flight.peak >= self.expected, timeout=self.patience
                ):
                    self._gave_up = True
            time.sleep(self.hold)  # the blocking network wait
        return self._write(name, dest_dir)

    def _write(self, name: str, dest_dir: str) -> str:
        path = os.path.join(dest_dir, name)
        with open(path, "w", encoding="utf-8") as file:
            file.write(LOGS.get(name, ""))
        return path


@pytest.mark.task(2)
async def test_download_all_returns_paths_in_order(tmp_path: Path) -> None:
    """download_all returns the store's path for each name, in the order of the names."""
    names = ["web-3.log", "web-1.log", "web-4.log", "web-2.log"]
    store = ProbedStore(expected=2)
    result = await within(
        20,
        log_report.download_all(store, names, str(tmp_path), 2),
        what="download_all(store, 4 names, dest_dir, workers=2)",
    )
    expected = [os.path.join(str(tmp_path), n) for n in names]
    assert list(result) == expected, (
        f"download_all(store, {names}, dest_dir, workers=2) returned {result!r}; expected the "
        f"store's answers in the order of the names: {expected!r}."
    )
    assert sorted(store.calls) == sorted(names), (
        f"store.download was called for {store.calls}; expected each name exactly once."
    )


@pytest.mark.task(2)
async def test_downloads_overlap_up_to_workers(tmp_path: Path) -> None:
    """With workers=3 and six names, exactly three downloads run at the same time."""
    names = [f"web-{n}.log" for n in range(6)]
    store = ProbedStore(expected=3)
    await within(
        20,
        log_report.download_all(store, names, str(tmp_path), 3),
        what="download_all(store, 6 names, dest_dir, workers=3)",
    )
    peak = store.in_flight.peak
    assert peak == 3, (
        f"download_all(store, 6 names, dest_dir, workers=3) had at most {peak} download(s) "
        "running at once; expected exactly 3. A blocking download waits with the GIL "
        "released, so threads overlap: run each download on a "
        "ThreadPoolExecutor(max_workers=workers) with loop.run_in_executor, start them all, "
        "then gather."
    )


@pytest.mark.task(2)
async def test_downloads_run_off_the_event_loop(tmp_path: Path) -> None:
    """Every blocking download runs on a worker thread, never on the event loop's thread."""
    store = ProbedStore()
    await within(
        20,
        log_report.download_all(store, ["web-1.log", "web-2.log"], str(tmp_path), 2),
        what="download_all(store, 2 names, dest_dir, workers=2)",
    )
    loop_thread = threading.current_thread()
    assert store.threads and all(t is not loop_thread for t in store.threads), (
        "download_all called store.download on the event loop's own thread, which stopped "
        "every other coroutine while it waited on the network. Hand each call to the pool: "
        "`loop.run_in_executor(pool, store.download, name, dest_dir)`."
    )


@pytest.mark.task(2)
async def test_download_threads_end_before_return(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When download_all returns, a waiting shutdown of its thread pool has returned, made
    off the event loop, and every thread that ran a download has ended."""
    store = ProbedStore(expected=2)
    pools = PoolTracker(monkeypatch, concurrent.futures.ThreadPoolExecutor)
    try:
        await within(
            20,
            log_report.download_all(store, ["web-1.log", "web-2.log"], str(tmp_path), 2),
            what="download_all(store, 2 names, dest_dir, workers=2)",
        )
        left_open = pools.not_shut_down()
        seen = pools.describe()
        here = threading.current_thread()  # a download run on the loop is another test's concern
        alive = sorted({t.name for t in store.threads if t.is_alive() and t is not here})
    finally:
        pools.close_leftovers()
    assert not alive, (
        f"after download_all returned, these threads that ran downloads were still running: "
        f"{alive} ({seen}). A ThreadPoolExecutor keeps its threads until it is shut down."
    )
    assert not left_open, (
        f"download_all(store, 2 names, dest_dir, workers=2) returned with {left_open} thread "
        f"pool(s) not shut down and waited for ({seen}); shutdown(wait=False) returns before "
        "the threads have ended. " + SHUT_DOWN_OFF_THE_LOOP
    )
    assert not pools.blocking_the_loop(), (
        f"download_all(store, 2 names, dest_dir, workers=2) called shutdown(wait=True) on the "
        f"event loop's own thread ({seen}): it blocks until the running downloads and the "
        "threads have ended (`with ThreadPoolExecutor(...)` inside a coroutine does that on "
        "the way out). " + SHUT_DOWN_OFF_THE_LOOP
    )


class HeldStore:
    """A store whose downloads all wait until `release` is set (the pool's shutdown has
    begun); `on_first` is called when the first one starts."""

    def __init__(self, release: threading.Event, on_first: Callable[[], object]) -> None:
        self.release = release
        self.on_first = on_first
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def download(self, name: str, dest_dir: str) -> str:
        with self._lock:
            self.calls.append(name)
            first = len(self.calls) == 1
        if first:
            self.on_first()
        self.release.wait(10)
        return os.path.join(dest_dir, name)


class FailingStore:
    """A store whose first download fails at once; every later one waits until `release`
    is set (the pool's shutdown has begun), so which downloads ever started is a fact, not
    a race with the pool's thread picking up the next job."""

    def __init__(self, release: threading.Event) -> None:
        self.release = release
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def download(self, name: str, dest_dir: str) -> str:
        with self._lock:
            self.calls.append(name)
            first = len(self.calls) == 1
        if first:
            raise ConnectionError(f"archive unreachable while downloading {name}")
        self.release.wait(10)
        return os.path.join(dest_dir, name)


@pytest.mark.task(2)
async def test_download_error_cancels_the_queued_downloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a download fails, download_all raises its error, cancels the downloads not yet
    started (cancel_futures=True) and has shut its pool down when it raises."""
    release = threading.Event()
    pools = PoolTracker(monkeypatch, concurrent.futures.ThreadPoolExecutor)
    pools.shutdown_called = release  # the held downloads go on once the shutdown has begun
    store = FailingStore(release)
    names = [f"web-{n}.log" for n in range(6)]
    try:
        _, error = await outcome(
            20,
            log_report.download_all(store, names, str(tmp_path), 1),
            what="download_all(a store whose first download fails, 6 names, workers=1)",
        )
        left_open = pools.not_shut_down()
        seen = pools.describe()
    finally:
        release.set()
        pools.close_leftovers()
    assert error is not None and any(isinstance(e, ConnectionError) for e in leaves(error)), (
        "download_all with a store whose first download raised ConnectionError "
        + (f"raised {error!r}" if error else "returned normally")
        + "; expected that ConnectionError (alone, or in an ExceptionGroup)."
    )
    assert pools.created and not left_open, (
        f"download_all raised with {left_open} thread pool(s) not shut down and waited for "
        f"({seen}): shut the pool down on the way out even on error (try/finally)."
    )
    assert len(store.calls) < len(names), (
        f"download_all's first download failed, yet all {len(store.calls)} downloads ran "
        f"before it raised ({seen}). Shut the pool down with cancel_futures=True on an error: "
        "the downloads not yet started are dropped (only the running one is waited for)."
    )


@pytest.mark.task(2)
async def test_cancelled_download_all_shuts_the_pool_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled while its first download runs, download_all ends with CancelledError, the
    queued downloads never start, and its pool has been shut down off the loop, with
    cancel_futures=True, when it ends."""
    release = threading.Event()
    pools = PoolTracker(monkeypatch, concurrent.futures.ThreadPoolExecutor)
    pools.shutdown_called = release  # the held download goes on once the shutdown has begun
    loop = asyncio.get_running_loop()
    downloading = asyncio.Event()
    store = HeldStore(release, on_first=lambda: loop.call_soon_threadsafe(downloading.set))
    names = [f"web-{n}.log" for n in range(6)]
    # A task of its own (not under within(), which returns as soon as it is cancelled): the
    # test must see when the call itself ends.
    call = asyncio.ensure_future(log_report.download_all(store, names, str(tmp_path), 1))
    left_open, seen = await cancel_once_started(
        call, downloading, release, pools, "download_all(6 names, workers=1)", "download"
    )
    ended = how_it_ended(call)
    assert call.done() and call.cancelled(), (
        f"download_all(6 names, workers=1), cancelled while downloading, {ended}; expected it "
        "to end with CancelledError. Clean up in a `finally` and let the CancelledError "
        "propagate."
    )
    assert not pools.blocking_the_loop(), (
        f"cancelled, download_all(6 names, workers=1) called shutdown(wait=True) on the event "
        f"loop's thread ({seen}): the loop stood still until the running download ended. "
        + SHUT_DOWN_OFF_THE_LOOP
    )
    assert pools.created and not left_open, (
        f"cancelled, download_all(6 names, workers=1) ended with {left_open} thread pool(s) "
        f"not shut down and waited for ({seen}): the pool's threads outlived the call."
    )
    assert len(store.calls) < len(names), (
        f"cancelled while its first download ran, download_all(6 names, workers=1) still ran "
        f"all {len(store.calls)} downloads before it ended ({seen}). Cancelling the awaited "
        "futures (gather does it when cancelled) or shutdown(cancel_futures=True) drops the "
        "downloads not yet started."
    )
    assert any(c.cancel_futures for c in pools.calls()), (
        f"cancelled while downloading, download_all(6 names, workers=1) shut its pool down "
        f"without cancel_futures=True ({seen}); expected cancel_futures=True on a cancellation "
        "as on an error (step 2). CancelledError is a BaseException, not an Exception: "
        "`except Exception` does not see it. Catch BaseException, or decide in the `finally` "
        "from a flag set once gather has returned: `cancel_futures=not finished`."
    )
