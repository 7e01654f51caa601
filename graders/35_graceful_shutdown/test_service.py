"""Grades exercises/35_graceful_shutdown/service.py: a queue worker service that stops taking
work on a stop request, lets the jobs in flight finish within a grace period, cancels and
awaits the rest, and, as a program, does all that on a real SIGTERM or Ctrl-C and exits 0.

`serve()` is graded in-process on the fake loop clock (looptime), with jobs that log when
they start, end, are cancelled and have finished unwinding (0.2 s of cleanup), so every
moment is exact. The program is graded for real: the learner's file runs in a subprocess,
the grader waits for its `started` lines and sends it SIGTERM or SIGINT, and reads its
output and exit code (real time, with limits ten times what a right answer needs).

Requirements:
- 1: `workers` jobs at a time, every job done when nothing stops it -> test_jobs_run_workers_at_a_time
- 1: once stop is set no job starts; in-flight jobs finish; serve returns when they are done -> test_no_job_starts_after_the_stop
- 1: a job arriving at the moment of the stop is not started -> test_a_job_arriving_with_the_stop_is_not_started
- 1: jobs still running at the end of the grace period are cancelled then, and awaited -> test_late_jobs_are_cancelled_at_the_end_of_the_grace
- 1: the report counts completed, cancelled and not started jobs -> test_no_job_starts_after_the_stop, test_late_jobs_are_cancelled_at_the_end_of_the_grace
- 2: SIGTERM and SIGINT set the stop event; remove() takes both handlers off the loop -> test_signal_handlers_set_stop_and_are_removed
- 3: on SIGTERM the program drains the jobs in flight, prints the report and exits 0 -> test_sigterm_drains_and_exits_zero
- 3: on SIGTERM with jobs longer than the grace, they are cancelled and the program exits 0 -> test_sigterm_after_the_grace_cancels_and_exits_zero
- 3: Ctrl-C (SIGINT) shuts down the same way -> test_ctrl_c_shuts_down_gracefully
- 3: with exit_when_idle it stops once the queue is empty, reports, returns 0 and removes its handlers -> test_run_service_stops_when_idle_and_removes_its_handlers
- checks: no task left running, the loop never blocked -> test_late_jobs_are_cancelled_at_the_end_of_the_grace
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from typing import Any

import pytest

from katagrader import InFlight, NotStarted, learner_module, within

svc = learner_module("service")

CLEANUP = 0.2
POSIX = os.name == "posix"


def now() -> float:
    return asyncio.get_running_loop().time()


class Jobs:
    """Jobs of `seconds` each, logging (loop time, event, job) and counted while in flight."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.log: list[tuple[float, str, int]] = []
        self.in_flight = InFlight()

    async def __call__(self, job: int) -> None:
        self.log.append((now(), "start", job))
        try:
            async with self.in_flight:
                await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            self.log.append((now(), "cancelled", job))
            await asyncio.sleep(CLEANUP)
            self.log.append((now(), "unwound", job))
            raise
        self.log.append((now(), "done", job))

    def events(self, kind: str) -> list[int]:
        return [job for _t, event, job in self.log if event == kind]

    def times(self, kind: str, start: float) -> list[float]:
        return [round(t - start, 6) for t, event, _job in self.log if event == kind]


def queued(n: int) -> asyncio.Queue[int]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for job in range(n):
        queue.put_nowait(job)
    return queue


async def serve(
    jobs: Jobs,
    queue: asyncio.Queue[int],
    stop: asyncio.Event,
    *,
    workers: int = 2,
    grace: float = 3.0,
) -> Any:
    return await within(
        300,
        svc.serve(queue, jobs, workers=workers, stop=stop, grace=grace),
        what=f"serve(queue, handle, workers={workers}, stop, grace={grace})",
    )


def report_of(report: Any) -> tuple[Any, Any, Any]:
    return (
        getattr(report, "completed", "?"),
        getattr(report, "cancelled", "?"),
        getattr(report, "not_started", "?"),
    )


# Step 1 --------------------------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_jobs_run_workers_at_a_time() -> None:
    """Six 1 s jobs on two workers: two at a time, all done by 3 s; stop at 10 s finds nothing left."""
    jobs, stop = Jobs(1.0), asyncio.Event()
    start = now()
    asyncio.get_running_loop().call_later(10, stop.set)
    report = await serve(jobs, queued(6), stop)
    assert jobs.in_flight.peak == 2 and jobs.times("done", start) == [1, 1, 2, 2, 3, 3], (
        f"six 1 s jobs on two workers had {jobs.in_flight.peak} in flight at most and ended at "
        f"{jobs.times('done', start)} s; expected two at a time, done at [1, 1, 2, 2, 3, 3] s."
    )
    assert report_of(report) == (6, 0, 0), (
        f"the report was {report!r}; expected completed 6, cancelled 0, not started 0."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_no_job_starts_after_the_stop() -> None:
    """Stop at 0.5 s with two 1 s jobs in flight: they finish at 1 s, no other job starts,
    serve returns at 1 s (not at the end of the grace period)."""
    jobs, stop = Jobs(1.0), asyncio.Event()
    start = now()
    asyncio.get_running_loop().call_later(0.5, stop.set)
    report = await serve(jobs, queued(6), stop, grace=3.0)
    returned = round(now() - start, 6)
    assert jobs.events("start") == [0, 1], (
        f"with the stop at 0.5 s, these jobs were started: {jobs.events('start')}; expected "
        "only 0 and 1 (started at 0 s): once stop is set, no worker takes a job."
    )
    assert jobs.events("done") == [0, 1] and returned == 1.0, (
        f"the two jobs in flight ended {jobs.log} and serve returned at {returned} s; "
        "expected both done at 1 s and serve returning then: the grace period is a limit, "
        "not a wait."
    )
    assert report_of(report) == (2, 0, 4), (
        f"the report was {report!r}; expected completed 2, cancelled 0, not started 4."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_a_job_arriving_with_the_stop_is_not_started() -> None:
    """Workers idle on an empty queue; at 1 s a job arrives and the stop is set in the same
    instant: the job is not started, and is counted as not started."""
    jobs, stop = Jobs(1.0), asyncio.Event()
    queue: asyncio.Queue[int] = asyncio.Queue()

    def arrive_and_stop() -> None:
        queue.put_nowait(7)
        stop.set()

    asyncio.get_running_loop().call_later(1, arrive_and_stop)
    report = await serve(jobs, queue, stop)
    assert jobs.events("start") == [] and report_of(report) == (0, 0, 1), (
        f"a job queued at the instant of the stop was started: {jobs.events('start')}, report "
        f"{report!r}; expected it left in the queue (completed 0, cancelled 0, not started 1). "
        "A worker waiting in queue.get() wakes up with that job: check the stop before "
        "starting it (wait for the job or the stop, whichever comes first)."
    )


@pytest.mark.task(1)
@pytest.mark.looptime
async def test_late_jobs_are_cancelled_at_the_end_of_the_grace() -> None:
    """Stop at 0.5 s, two 10 s jobs in flight, grace 2 s: both cancelled at 2.5 s, and serve
    returns only once they have unwound (2.7 s)."""
    jobs, stop = Jobs(10.0), asyncio.Event()
    start = now()
    asyncio.get_running_loop().call_later(0.5, stop.set)
    report = await serve(jobs, queued(6), stop, grace=2.0)
    returned = round(now() - start, 6)
    assert jobs.times("cancelled", start) == [2.5, 2.5], (
        f"with the stop at 0.5 s and grace=2, the jobs in flight were cancelled at "
        f"{jobs.times('cancelled', start)} s; expected both at 2.5 s, when the grace period ends."
    )
    assert returned == pytest.approx(2.5 + CLEANUP) and len(jobs.events("unwound")) == 2, (
        f"serve returned at {returned} s, the cancelled jobs having unwound at "
        f"{jobs.times('unwound', start)}; expected it to return once both had unwound "
        f"({2.5 + CLEANUP} s): await the jobs you cancelled."
    )
    assert report_of(report) == (0, 2, 4), (
        f"the report was {report!r}; expected completed 0, cancelled 2, not started 4."
    )


# Step 2 --------------------------------------------------------------------------------


@pytest.mark.task(2)
async def test_signal_handlers_set_stop_and_are_removed() -> None:
    """With the handlers installed, SIGTERM and SIGINT each set the stop event; remove()
    leaves the loop with no handler for either."""
    if not POSIX:
        pytest.skip("loop.add_signal_handler needs a POSIX system")
    loop = asyncio.get_running_loop()
    before = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
    try:
        await _each_signal_sets_stop(loop, before)
    finally:
        # Leave the grading process as it was (asyncio puts the *default* handlers back).
        signal.signal(signal.SIGTERM, before[0])
        signal.signal(signal.SIGINT, before[1])


async def _each_signal_sets_stop(loop: asyncio.AbstractEventLoop, before: tuple[Any, Any]) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        stop = asyncio.Event()
        remove = svc.install_stop_handlers(loop, stop)
        try:
            if signal.getsignal(sig) == before[sig == signal.SIGINT]:
                # Sending it now would kill (SIGTERM) or interrupt (SIGINT) the grader.
                pytest.fail(
                    f"install_stop_handlers() left {sig.name} with its previous handler: "
                    f"loop.add_signal_handler({sig.name}, stop.set) for both signals."
                )
            os.kill(os.getpid(), sig)
            async with asyncio.timeout(5):
                await stop.wait()
        except TimeoutError:
            pytest.fail(
                f"{sig.name} did not set the stop event within 5 s: loop.add_signal_handler({sig.name}, stop.set)."
            )
        finally:
            remove()
        left = [s.name for s in (signal.SIGTERM, signal.SIGINT) if loop.remove_signal_handler(s)]
        assert not left, (
            f"after remove(), the loop still had a handler for {left}; expected none: "
            "loop.remove_signal_handler() for each signal."
        )


# Step 3 --------------------------------------------------------------------------------


async def run_and_signal(
    sig: signal.Signals, args: list[str], *, after: str
) -> tuple[int | None, list[str]]:
    """Run the learner's program, send `sig` once the line `after` was printed, and return
    its exit code and its output lines."""
    if not POSIX:
        pytest.skip("this check sends POSIX signals to a real process")
    # The program's main() is called after importing the file, rather than running the
    # file as __main__: the same program, and a file's later definitions (as in the
    # grader's own wrong answers laid over the solution) are the ones that run.
    launcher = (
        "import importlib.util, sys; "
        "spec = importlib.util.spec_from_file_location('service', sys.argv[1]); "
        "module = importlib.util.module_from_spec(spec); "
        "sys.modules['service'] = module; spec.loader.exec_module(module); "
        "sys.exit(module.main(sys.argv[2:]))"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        launcher,
        str(svc.path),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(20):
            while True:
                raw = await process.stdout.readline()
                if not raw:
                    break
                line = raw.decode(errors="replace").rstrip()
                lines.append(line)
                if line == after:
                    process.send_signal(sig)
            code = await process.wait()
        unwritten = [line for line in lines if line.startswith("NotImplementedError:")]
        if unwritten:
            raise NotStarted(
                f"NOT STARTED: your program (python {svc.path.name} ...) stopped with "
                f"{unwritten[-1]} Write steps 1 to 3 of the README first."
            )
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(
            f"the program had not exited 20 s after {sig.name} (its output: {lines[-8:]}): "
            "on the signal, stop taking jobs, wait at most the grace period, cancel the rest."
        )
    return code, lines


def report_line(lines: list[str]) -> str:
    found = [line for line in lines if line.startswith("report:")]
    return found[-1] if found else "<no report line>"


@pytest.mark.task(3)
async def test_sigterm_drains_and_exits_zero() -> None:
    """SIGTERM with two 1 s jobs in flight: both finish, none starts, the report is printed
    and the program exits 0."""
    code, lines = await run_and_signal(
        signal.SIGTERM,
        ["--jobs", "6", "--workers", "2", "--job-seconds", "1", "--grace", "5"],
        after="started 1",
    )
    assert code == 0, (
        f"after SIGTERM the program exited with {code} (output: {lines[-6:]}); expected 0. "
        "A negative code means the signal killed it: install the handlers "
        "(loop.add_signal_handler) before serving."
    )
    assert "done 0" in lines and "done 1" in lines and "started 2" not in lines, (
        f"after SIGTERM the program printed {lines}; expected the two jobs in flight done and "
        "no other job started."
    )
    assert report_line(lines) == "report: completed 2, cancelled 0, not started 4", (
        f"the program's report was {report_line(lines)!r}; expected "
        "'report: completed 2, cancelled 0, not started 4'."
    )


@pytest.mark.task(3)
async def test_sigterm_after_the_grace_cancels_and_exits_zero() -> None:
    """SIGTERM with two 30 s jobs in flight and grace 0.5 s: both cancelled, exit 0."""
    code, lines = await run_and_signal(
        signal.SIGTERM,
        ["--jobs", "6", "--workers", "2", "--job-seconds", "30", "--grace", "0.5"],
        after="started 1",
    )
    assert code == 0 and "cancelled 0" in lines and "cancelled 1" in lines, (
        f"with 30 s jobs and grace=0.5, SIGTERM ended the program with {code} after printing "
        f"{lines[-6:]}; expected both jobs cancelled and exit code 0."
    )
    assert report_line(lines) == "report: completed 0, cancelled 2, not started 4", (
        f"the program's report was {report_line(lines)!r}; expected "
        "'report: completed 0, cancelled 2, not started 4'."
    )


@pytest.mark.task(3)
async def test_ctrl_c_shuts_down_gracefully() -> None:
    """SIGINT (Ctrl-C) drains the jobs in flight like SIGTERM, with exit code 0 and no traceback."""
    code, lines = await run_and_signal(
        signal.SIGINT,
        ["--jobs", "6", "--workers", "2", "--job-seconds", "1", "--grace", "5"],
        after="started 1",
    )
    traceback = [line for line in lines if re.match(r"(Traceback|KeyboardInterrupt)", line)]
    assert code == 0 and not traceback, (
        f"after SIGINT the program exited with {code} and printed {lines[-6:]}; expected a "
        "graceful shutdown and 0. asyncio.run() turns Ctrl-C into cancelling the main task "
        "and KeyboardInterrupt; add_signal_handler(SIGINT, ...) replaces that with yours."
    )
    assert report_line(lines) == "report: completed 2, cancelled 0, not started 4", (
        f"after SIGINT the report was {report_line(lines)!r}; expected "
        "'report: completed 2, cancelled 0, not started 4'."
    )


@pytest.mark.task(3)
async def test_run_service_stops_when_idle_and_removes_its_handlers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """run_service with --exit-when-idle serves the three jobs, stops by itself, prints the
    report, returns 0, and leaves no signal handler on the loop."""
    if not POSIX:
        pytest.skip("loop.add_signal_handler needs a POSIX system")
    loop = asyncio.get_running_loop()
    before = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
    options = svc.parse_options(
        ["--jobs", "3", "--workers", "2", "--job-seconds", "0.01", "--exit-when-idle"]
    )
    try:
        code = await within(
            10, svc.run_service(options), what="run_service(--jobs 3 --exit-when-idle)"
        )
        left = [s.name for s in (signal.SIGTERM, signal.SIGINT) if loop.remove_signal_handler(s)]
    finally:
        signal.signal(signal.SIGTERM, before[0])
        signal.signal(signal.SIGINT, before[1])
    printed = capsys.readouterr().out.splitlines()
    assert (
        code == 0 and report_line(printed) == "report: completed 3, cancelled 0, not started 0"
    ), (
        f"run_service(--jobs 3 --exit-when-idle) returned {code!r} and printed "
        f"{report_line(printed)!r}; expected 0 and 'report: completed 3, cancelled 0, not "
        "started 0': with exit_when_idle, set the stop once a job ends with the queue empty."
    )
    assert not left, (
        f"after run_service returned, the loop still had a handler for {left}: remove them "
        "(the function install_stop_handlers returned) when serving is over."
    )
