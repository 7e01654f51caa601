"""Grades exercises/20_threads_vs_processes/log_report.py: CPU work on processes, I/O on threads.

Worker processes receive `crunch` by reference (module name + function name) and must be able
to import the learner's module by that name. The grader imports it by path under a private
name (`_kata_20_threads_vs_processes_log_report`); with the `fork` start method (Linux up to
Python 3.13) the workers inherit it, but `spawn` and `forkserver` (Linux from 3.14, macOS,
Windows) start fresh interpreters. The `importable_by_workers` fixture therefore puts a tiny
module of that name on `sys.path` that executes the learner's file, so the pool works with
every start method and the learner can write the plain `ProcessPoolExecutor(max_workers=n)`.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import errno
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from katagrader import ThreadInFlight, learner_module, within

log_report = learner_module("log_report")

LOGS = {
    "web-1.log": "GET /cart 200 12ms\nPOST /checkout 503 80ms\nGET /cart 200 9ms\n",
    "web-2.log": "GET / 200 3ms\nGET /search 500 40ms\nGET /search 200 31ms\nGET / 404 2ms\n",
    "web-3.log": "GET /login 301 5ms\n",
    "web-4.log": "POST /api/items 201 17ms\nPOST /api/items 500 90ms\nGET /api/items 200 8ms\n",
}


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
    together, however slowly the worker processes started.
    """

    def __init__(
        self, directory: Path, names: list[str], expected: int, patience: float = 4.0
    ) -> None:
        self.paths = []
        for name in names:
            path = directory / name
            os.mkfifo(path)
            self.paths.append(str(path))
        self.contents = {str(directory / n): LOGS[n].encode() for n in names}
        self.expected = expected
        self.patience = patience
        self.peak = 0
        self.served: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="grader-fifo-feeder")

    def __enter__(self) -> FifoFeeder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

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
                self.peak = max(self.peak, len(held))
                if holding_back and (
                    len(held) >= self.expected or time.monotonic() - started > self.patience
                ):
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


class PoolTracker:
    """Records every ProcessPoolExecutor created and whether it was shut down. A pool that
    is dropped without `shutdown()` is only cleaned up later by garbage collection, so
    counting live processes alone would race with that clean-up."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.created: list[concurrent.futures.ProcessPoolExecutor] = []
        self.shut_down: set[int] = set()
        original_init = concurrent.futures.ProcessPoolExecutor.__init__
        original_shutdown = concurrent.futures.ProcessPoolExecutor.shutdown
        tracker = self

        def init(pool: concurrent.futures.ProcessPoolExecutor, *args: Any, **kwargs: Any) -> None:
            tracker.created.append(pool)
            original_init(pool, *args, **kwargs)

        def shutdown(
            pool: concurrent.futures.ProcessPoolExecutor, *args: Any, **kwargs: Any
        ) -> None:
            tracker.shut_down.add(id(pool))
            original_shutdown(pool, *args, **kwargs)

        monkeypatch.setattr(concurrent.futures.ProcessPoolExecutor, "__init__", init)
        monkeypatch.setattr(concurrent.futures.ProcessPoolExecutor, "shutdown", shutdown)

    def not_shut_down(self) -> int:
        return sum(1 for pool in self.created if id(pool) not in self.shut_down)

    def close_leftovers(self) -> None:
        for pool in self.created:
            if id(pool) not in self.shut_down:
                pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.task(1)
async def test_process_pool_is_shut_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When crunch_all returns, its process pool was shut down and no worker is left."""
    paths = write_logs(tmp_path, list(LOGS))
    pools = PoolTracker(monkeypatch)
    try:
        result = await within(
            30, log_report.crunch_all(paths, 2), what="crunch_all(4 paths, workers=2)"
        )
        left_open = pools.not_shut_down()
    finally:
        pools.close_leftovers()
    assert pools.created and not left_open, (
        f"crunch_all(4 paths, workers=2) created {len(pools.created)} process pool(s) and "
        f"returned with {left_open} of them never shut down. A ProcessPoolExecutor keeps its "
        "worker processes until it is shut down: use `with ProcessPoolExecutor(max_workers="
        "workers) as pool:` (or call `pool.shutdown()` in a finally)."
        if pools.created
        else "crunch_all(4 paths, workers=2) created no ProcessPoolExecutor: the crunch must "
        "run on a process pool (step 1)."
    )
    alive = multiprocessing.active_children()
    assert not alive, (
        f"after crunch_all(4 paths, workers=2) returned, {len(alive)} worker process(es) were "
        f"still running ({', '.join(str(p.pid) for p in alive)}); the crunch ran in "
        f"{sorted({s.pid for s in result})}. A ProcessPoolExecutor keeps its processes until "
        "it is shut down: use `with ProcessPoolExecutor(max_workers=workers) as pool:` (or call "
        "`pool.shutdown()` in a finally)."
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

    def download(self, name: str, dest_dir: str) -> str:
        self.calls.append(name)
        self.threads.append(threading.current_thread())
        with self.in_flight:
            with self._condition:
                self._condition.notify_all()
                if not self._gave_up and not self._condition.wait_for(
                    lambda: self.in_flight.peak >= self.expected, timeout=self.patience
                ):
                    self._gave_up = True
            time.sleep(self.hold)  # the blocking network wait
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
async def test_download_threads_end_before_return(tmp_path: Path) -> None:
    """When download_all returns, every thread that ran a download has ended."""
    store = ProbedStore(expected=2)
    await within(
        20,
        log_report.download_all(store, ["web-1.log", "web-2.log"], str(tmp_path), 2),
        what="download_all(store, 2 names, dest_dir, workers=2)",
    )
    here = threading.current_thread()  # a download run on the loop is another test's concern
    alive = sorted({t.name for t in store.threads if t.is_alive() and t is not here})
    assert not alive, (
        f"after download_all returned, these threads that ran downloads were still running: "
        f"{alive}. A ThreadPoolExecutor keeps its threads until it is shut down: use "
        "`with ThreadPoolExecutor(max_workers=workers) as pool:`."
    )
