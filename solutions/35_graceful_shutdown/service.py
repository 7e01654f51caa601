"""Graceful shutdown: a queue worker service that stops cleanly on SIGTERM or Ctrl-C.

A service is stopped far more often than it crashes: every deploy sends it SIGTERM, a
developer presses Ctrl-C. Stopping well means: take no new work, let the work in flight
finish within a grace period, cancel what is still running after that (and wait for it to
unwind), and exit 0 with a report of what happened.

1. `serve(queue, handle, *, workers, stop, grace)`: run `workers` worker tasks that take
   jobs from `queue` and `await handle(job)` one at a time. Once `stop` is set, no job is
   started any more; the jobs in flight get up to `grace` seconds to finish; those still
   running are then cancelled and awaited. Return a `ShutdownReport`.
2. `install_stop_handlers(loop, stop)`: have SIGTERM and SIGINT set `stop`
   (`loop.add_signal_handler`), and return a function that removes both handlers.
3. `run_service(options)`: the program: fill a queue with `options.jobs` fake jobs, install
   the handlers, print `ready`, serve, remove the handlers, print the report, return 0.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass(frozen=True)
class ShutdownReport:
    """What `serve` did: jobs finished, jobs cancelled at the end of the grace period, and
    jobs never started (still queued when it stopped)."""

    completed: int
    cancelled: int
    not_started: int

    def __str__(self) -> str:
        return (
            f"completed {self.completed}, cancelled {self.cancelled}, "
            f"not started {self.not_started}"
        )


Handler = Callable[[int], Coroutine[Any, Any, None]]


async def fake_job(job: int, seconds: float) -> None:
    """A job of the demo program: announces itself, works `seconds`, says how it ended."""
    print(f"started {job}", flush=True)
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print(f"cancelled {job}", flush=True)
        raise
    print(f"done {job}", flush=True)


async def serve(
    queue: asyncio.Queue[int], handle: Handler, *, workers: int, stop: asyncio.Event, grace: float
) -> ShutdownReport:
    """Work through `queue` with `workers` workers until `stop` is set, then shut down.

    Args:
        queue: the jobs (already queued, or added while serving).
        handle: does one job.
        workers: how many jobs run at once.
        stop: set it to shut down (a signal handler does).
        grace: how long the jobs in flight may take to finish once `stop` is set.

    Returns:
        How many jobs completed, were cancelled at the end of the grace period, or were
        never started.
    """
    completed = 0
    busy: set[asyncio.Task[None]] = set()  # the jobs in flight, each in a task of its own

    async def worker() -> None:
        nonlocal completed
        while True:
            job = await queue.get()
            if stop.is_set():
                # Taken after the stop (a get() that woke in that very instant, or the next
                # job of a worker that just finished one): not started, back in the queue.
                queue.put_nowait(job)
                return
            # The job runs in a task of its own, so that the shutdown can cancel the job
            # at the end of the grace period and still count what happened.
            task = asyncio.create_task(handle(job))
            busy.add(task)
            try:
                await task
                completed += 1
            finally:
                busy.discard(task)

    pool = [asyncio.create_task(worker()) for _ in range(workers)]
    await stop.wait()
    # From here no job starts. The jobs in flight get the grace period: asyncio.wait with
    # a timeout returns as soon as they are all done, and cancels nothing.
    running = set(busy)
    if running:
        await asyncio.wait(running, timeout=grace)
    late = [task for task in running if not task.done()]
    for task in late:
        task.cancel()
    # Cancelling only asks: wait until the late jobs have unwound (their cleanup ran).
    await asyncio.gather(*late, return_exceptions=True)
    # The workers left are idle in queue.get(), or ending with their cancelled job.
    for task in pool:
        task.cancel()
    await asyncio.gather(*pool, return_exceptions=True)
    return ShutdownReport(completed, len(late), queue.qsize())


def install_stop_handlers(
    loop: asyncio.AbstractEventLoop, stop: asyncio.Event
) -> Callable[[], None]:
    """Make SIGTERM and SIGINT set `stop`; return a function that removes both handlers.

    add_signal_handler runs the callback on the loop, as an ordinary callback, so it may
    touch asyncio objects (a plain signal.signal() handler runs between two bytecodes of
    whatever is executing, and must not). It also replaces asyncio.run()'s own SIGINT
    handling, which would cancel the main task: here Ctrl-C shuts down gracefully too.
    remove_signal_handler() restores the signal's default behaviour afterwards.
    """
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)

    def remove() -> None:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)

    return remove


async def run_service(options: argparse.Namespace) -> int:
    """The program: serve fake jobs until stopped or done; print the report; return 0."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for job in range(options.jobs):
        queue.put_nowait(job)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    remove = install_stop_handlers(loop, stop)
    try:
        print("ready", flush=True)

        async def handle(job: int) -> None:
            await fake_job(job, options.job_seconds)
            if queue.empty() and options.exit_when_idle:
                stop.set()

        report = await serve(queue, handle, workers=options.workers, stop=stop, grace=options.grace)
    finally:
        remove()
    print(f"report: {report}", flush=True)
    return 0


def parse_options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A queue worker that shuts down gracefully.")
    parser.add_argument("--jobs", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--job-seconds", type=float, default=1.0)
    parser.add_argument("--grace", type=float, default=3.0)
    parser.add_argument("--exit-when-idle", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse_options(sys.argv[1:] if argv is None else argv)
    return asyncio.run(run_service(options))


if __name__ == "__main__":
    sys.exit(main())
