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
    # TODO: step 1
    raise NotImplementedError(
        "Step 1: workers until stop; then grace for jobs in flight; cancel and await the rest."
    )


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
    # TODO: step 2
    raise NotImplementedError(
        "Step 2: SIGTERM and SIGINT set stop (loop.add_signal_handler); return remove()."
    )


async def run_service(options: argparse.Namespace) -> int:
    """The program: serve fake jobs until stopped or done; print the report; return 0."""
    # TODO: step 3
    raise NotImplementedError(
        "Step 3: queue the jobs, install the handlers, print ready, serve, report, return 0."
    )


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
