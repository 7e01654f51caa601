"""Download log archives on threads, crunch them on processes, all driven from asyncio.

A nightly report needs yesterday's access logs. Fetching them from the archive is
I/O-bound: the blocking client spends its time waiting on the network. Crunching them is
CPU-bound: pure Python that holds the GIL the whole time. Each kind of work needs its own
kind of pool, and the event loop must stay free while either runs.

1. `crunch_all`: crunch every log file on a process pool of `workers` processes, results in
   input order, and shut the pool down before returning.
2. `download_all`: download every log with the blocking client on a thread pool of
   `workers` threads, results in input order, and shut the pool down before returning.
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class LogStats:
    """What one log file says, and which process worked it out."""

    name: str
    requests: int
    errors: int
    top_path: str
    fingerprint: int
    pid: int


def crunch(path: str) -> LogStats:
    """Read one access log and summarise it: pure-Python CPU work that holds the GIL.

    Each line looks like `GET /cart 200 12ms`. The fingerprint is a 64-bit FNV-1a hash of the
    file's bytes, computed byte by byte in Python (that is what makes the work CPU-bound).

    Args:
        path: the log file to read.

    Returns:
        The file's `LogStats`; `pid` is the id of the process that ran this function.

    Example:
        >>> crunch("/tmp/web-1.log").requests  # doctest: +SKIP
        20000
    """
    with open(path, "rb") as file:
        data = file.read()
    fingerprint = 0xCBF29CE484222325
    for byte in data:
        fingerprint = ((fingerprint ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    requests = errors = 0
    paths: Counter[str] = Counter()
    for line in data.decode().splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        requests += 1
        paths[parts[1]] += 1
        if parts[2].startswith("5"):
            errors += 1
    top_path = paths.most_common(1)[0][0] if paths else ""
    return LogStats(os.path.basename(path), requests, errors, top_path, fingerprint, os.getpid())


class LogStore(Protocol):
    """A blocking client for the log archive (think of an old SDK built on `requests`)."""

    def download(self, name: str, dest_dir: str) -> str:
        """Download log `name` into `dest_dir` and return the path of the file written."""
        ...


class FakeLogStore:
    """An archive whose downloads block the calling thread for `latency` seconds."""

    def __init__(self, latency: float = 0.5, lines: int = 60_000) -> None:
        self.latency = latency
        self.lines = lines

    def download(self, name: str, dest_dir: str) -> str:
        time.sleep(self.latency)  # waiting on the network: this blocks the calling thread
        rng = random.Random(name)
        paths = ["/", "/cart", "/search", "/login", "/api/items", "/checkout"]
        rows = (
            f"{rng.choice(['GET', 'POST'])} {rng.choice(paths)} "
            f"{rng.choice([200, 200, 200, 301, 404, 500, 503])} {rng.randint(1, 900)}ms"
            for _ in range(self.lines)
        )
        path = os.path.join(dest_dir, name)
        with open(path, "w", encoding="utf-8") as file:
            file.write("\n".join(rows) + "\n")
        return path


async def crunch_all(paths: list[str], workers: int) -> list[LogStats]:
    """Crunch every log file on a pool of `workers` processes.

    Args:
        paths: the log files to crunch.
        workers: how many worker processes to use.

    Returns:
        One `LogStats` per path, in the order of `paths`. The pool has been shut down (no
        worker process left) by the time this returns.

    Raises:
        Whatever `crunch` raised for a file (for instance FileNotFoundError).

    Example:
        >>> [s.name for s in asyncio.run(crunch_all(["/tmp/a.log"], 2))]  # doctest: +SKIP
        ['a.log']
    """
    loop = asyncio.get_running_loop()
    # Processes, not threads: crunch is pure Python, and the GIL lets only one thread run
    # Python bytecode at a time, so a thread pool would take turns on one core. Each worker
    # process has its own interpreter and its own GIL.
    # `crunch` travels to the workers by reference (module + name, pickled), which is why it
    # must be a top-level function and not a lambda or a nested function; its argument (a
    # short path, not megabytes of data) and its result are pickled too.
    pool = ProcessPoolExecutor(max_workers=workers)
    finished = False
    try:
        # run_in_executor wraps each job in an asyncio future: the loop stays free while the
        # processes work, and gather keeps the results in the order of `paths`.
        jobs = [loop.run_in_executor(pool, crunch, path) for path in paths]
        results = list(await asyncio.gather(*jobs))
        finished = True
        return results
    finally:
        await _shut_down(pool, cancel_futures=not finished)


async def _shut_down(pool: Executor, *, cancel_futures: bool) -> None:
    """Shut `pool` down and wait for its workers to end, without blocking the event loop.

    Not `with ProcessPoolExecutor(...) as pool:` inside a coroutine: the block's exit calls
    `pool.shutdown(wait=True)` on the loop's own thread, which waits for the running jobs and
    the workers to end, and the whole loop (timeouts included) stands still meanwhile. So the
    waiting is done on another thread and awaited.
    On an error or a cancellation, `cancel_futures=True` drops the jobs still waiting in the
    pool, so the shutdown waits only for those already running and, in a process pool, the
    few already handed to its call queue (a running job cannot be stopped).
    """
    await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=cancel_futures)


async def download_all(store: LogStore, names: list[str], dest_dir: str, workers: int) -> list[str]:
    """Download every log with the blocking client on a pool of `workers` threads.

    Args:
        store: the blocking archive client.
        names: which logs to download.
        dest_dir: the directory to download them into.
        workers: how many downloads may run at once (one per thread).

    Returns:
        The path of each downloaded file, in the order of `names`. The pool's threads have
        ended by the time this returns.

    Raises:
        Whatever `store.download` raised.

    Example:
        >>> asyncio.run(download_all(FakeLogStore(0, 10), ["a.log"], "/tmp", 4))  # doctest: +SKIP
        ['/tmp/a.log']
    """
    loop = asyncio.get_running_loop()
    # Threads are enough here: a download spends its time blocked in a system call, and a
    # thread blocked on I/O releases the GIL, so `workers` downloads really wait at once.
    # Processes would add start-up and pickling costs for nothing.
    # An own pool rather than asyncio.to_thread: its size is our limit on concurrent
    # downloads, and the default executor stays free for asyncio's own needs.
    # Shut down off the loop, for the same reason as the process pool: `with` would join the
    # threads (and wait for running downloads, on an error) on the loop's own thread.
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="download")
    finished = False
    try:
        jobs = [loop.run_in_executor(pool, store.download, name, dest_dir) for name in names]
        results = list(await asyncio.gather(*jobs))
        finished = True
        return results
    finally:
        await _shut_down(pool, cancel_futures=not finished)


async def main() -> None:
    names = [f"web-{n}.log" for n in range(6)]
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory() as dest_dir:
        started = loop.time()
        paths = await download_all(FakeLogStore(latency=0.5), names, dest_dir, workers=6)
        print(f"downloaded {len(paths)} logs in {loop.time() - started:.1f} s (threads)")

        started = loop.time()
        expected = [crunch(path) for path in paths]
        print(f"crunched them one by one in {loop.time() - started:.1f} s")

        started = loop.time()
        threads = ThreadPoolExecutor(max_workers=4)
        try:
            await asyncio.gather(*(loop.run_in_executor(threads, crunch, p) for p in paths))
        finally:  # off the loop: shutdown(wait=True) blocks until the threads end
            await asyncio.to_thread(threads.shutdown, wait=True)
        print(f"crunched them in {loop.time() - started:.1f} s on threads (the GIL: no gain)")

        started = loop.time()
        stats = await crunch_all(paths, workers=os.cpu_count() or 2)
        print(f"crunched them in {loop.time() - started:.1f} s (processes)")
        assert [s.fingerprint for s in stats] == [s.fingerprint for s in expected]
        for s in stats:
            print(f"  {s.name}: {s.requests} requests, {s.errors} errors, pid {s.pid}")


# The guard matters here: with the `spawn` and `forkserver` start methods (Windows, macOS,
# and Linux from Python 3.14) each worker process imports this file again; without the guard
# every worker would run main() in turn.
if __name__ == "__main__":
    asyncio.run(main())
