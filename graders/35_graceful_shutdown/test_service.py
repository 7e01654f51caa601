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
- 1: with every job done before the stop, serve returns at the stop, idle workers included
  -> test_serve_returns_at_the_stop_when_all_is_done
- 1: where a job taken at the stop goes back in the queue (front or end) -> not graded: only
  that it is left queued and counted as not started (the README says so)
- 1: a job arriving at the moment of the stop is not started -> test_a_job_arriving_with_the_stop_is_not_started
- 1: jobs still running at the end of the grace period are cancelled then, and awaited -> test_late_jobs_are_cancelled_at_the_end_of_the_grace
- 1: the report counts completed, cancelled and not started jobs -> test_no_job_starts_after_the_stop, test_late_jobs_are_cancelled_at_the_end_of_the_grace
- 2: SIGTERM and SIGINT set the stop event (loop.add_signal_handler, or signal.signal handing
  stop.set to the loop with call_soon_threadsafe); remove() takes both handlers off
  -> test_signal_handlers_set_stop_and_are_removed
- 3: on SIGTERM the program drains the jobs in flight, prints the report and exits 0 -> test_sigterm_drains_and_exits_zero
- 3: on SIGTERM with jobs longer than the grace, they are cancelled and the program exits 0 -> test_sigterm_after_the_grace_cancels_and_exits_zero
- 3: Ctrl-C (SIGINT) shuts down the same way -> test_ctrl_c_shuts_down_gracefully
- 3: the handlers are installed when `ready` is printed -> test_handlers_are_installed_before_ready
- 3: the handlers stay until serving is over: a second SIGTERM while the late jobs are
  cancelled changes nothing -> test_a_second_signal_while_serving_changes_nothing
- 3: with exit_when_idle it stops once the queue is empty, reports, returns 0 and removes its handlers -> test_run_service_stops_when_idle_and_removes_its_handlers
- checks: no task left running, the loop never blocked -> test_late_jobs_are_cancelled_at_the_end_of_the_grace
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import sys
from collections.abc import Callable
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
async def test_serve_returns_at_the_stop_when_all_is_done() -> None:
    """Two 1 s jobs on two workers, done at 1 s; the stop at 5 s finds the workers idle on an
    empty queue: serve returns at 5 s, not at the end of the grace period (8 s)."""
    jobs, stop = Jobs(1.0), asyncio.Event()
    start = now()
    asyncio.get_running_loop().call_later(5, stop.set)
    report = await serve(jobs, queued(2), stop, grace=3.0)
    returned = round(now() - start, 6)
    assert returned == 5.0 and report_of(report) == (2, 0, 0), (
        f"with both jobs done at 1 s and the stop at 5 s (grace=3), serve returned at "
        f"{returned} s with {report!r}; expected it to return at 5 s, the moment of the stop, "
        "with completed 2, cancelled 0, not started 0: there is nothing to wait for. A worker "
        "idle in a plain `await queue.get()` never ends by itself: wait for the jobs in "
        "flight (not the workers) and cancel the idle workers, or have each wait for a job "
        "or the stop."
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
            installed = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
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
        left += [
            s.name
            for s, handler in installed.items()
            if signal.getsignal(s) is handler and handler is not before[s == signal.SIGINT]
        ]
        assert not left, (
            f"after remove(), {left} still had the handler install_stop_handlers() put there; "
            "expected none: loop.remove_signal_handler() for each signal (or, for a "
            "signal.signal() handler, signal.signal(sig, <the previous handler>))."
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


class LineProbe(io.TextIOBase):
    """A stdout that calls `on_line(line)` as each line is printed, and keeps the lines."""

    def __init__(self, on_line: Callable[[str], None]) -> None:
        self.on_line = on_line
        self.lines: list[str] = []
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            self.lines.append(line)
            self.on_line(line)
        return len(text)


def not_installed(before: dict[signal.Signals, Any]) -> list[str]:
    """The stop signals with no handler of the learner's: still the grading process's own,
    or a default one (what remove_signal_handler puts back)."""
    defaults = (signal.SIG_DFL, signal.SIG_IGN, signal.default_int_handler, None)
    return [
        s.name
        for s in (signal.SIGTERM, signal.SIGINT)
        if signal.getsignal(s) == before[s] or signal.getsignal(s) in defaults
    ]


class Abandoned(Exception):
    """The grader stopped run_service itself (see run_in_process)."""


async def run_in_process(
    args: list[str], on_line: Callable[[str, asyncio.Task[Any]], None]
) -> tuple[Any, LineProbe]:
    """run_service(parse_options(args)) in this process, its output going to a LineProbe
    that calls on_line(line, the task running it); the grading process's own handlers are
    put back afterwards. on_line may cancel that task to abandon the run: the tasks it left
    are then cancelled too (the grader's doing, not the learner's), and Abandoned raised."""
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    tasks_before = asyncio.all_tasks()
    runner: list[asyncio.Task[Any]] = []
    probe = LineProbe(lambda line: on_line(line, runner[0]))
    options = svc.parse_options(args)
    runner.append(
        asyncio.create_task(
            within(10, svc.run_service(options), what=f"run_service({' '.join(args)})")
        )
    )
    old_stdout, sys.stdout = sys.stdout, probe
    try:
        code = await runner[0]
    except asyncio.CancelledError:
        this = asyncio.current_task()
        if this is None or this.cancelling() or not runner[0].cancelled():
            raise  # the test itself is being cancelled
        left = asyncio.all_tasks() - tasks_before - {this}
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=2)
        raise Abandoned from None
    finally:
        sys.stdout = old_stdout
        for sig, handler in before.items():
            signal.signal(sig, handler)
    return code, probe


@pytest.mark.task(3)
async def test_handlers_are_installed_before_ready() -> None:
    """When run_service prints `ready`, SIGTERM and SIGINT already have their handlers: a
    supervisor may send the signal the moment it reads `ready`."""
    if not POSIX:
        pytest.skip("loop.add_signal_handler needs a POSIX system")
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    at_ready: list[list[str]] = []

    def on_line(line: str, _runner: asyncio.Task[Any]) -> None:
        if line == "ready":
            at_ready.append(not_installed(before))

    code, probe = await run_in_process(
        ["--jobs", "3", "--workers", "2", "--job-seconds", "0.01", "--exit-when-idle"], on_line
    )
    assert at_ready, (
        f"run_service(--jobs 3 --exit-when-idle) returned {code!r} and printed {probe.lines}; "
        "expected a `ready` line first."
    )
    assert at_ready[0] == [], (
        f"when run_service printed `ready`, {at_ready[0]} had no handler yet (still the "
        "grading process's own); expected both installed: install the handlers, then print "
        "`ready`. A supervisor sends SIGTERM as soon as it reads `ready`, and a signal that "
        "comes before the handler kills the process."
    )


@pytest.mark.task(3)
async def test_a_second_signal_while_serving_changes_nothing() -> None:
    """SIGTERM after `started 1` (30 s jobs, grace 0.3 s), then a second SIGTERM while the
    late jobs are being cancelled: the handlers are still there, the shutdown goes on, the
    report is printed and run_service returns 0."""
    if not POSIX:
        pytest.skip("loop.add_signal_handler needs a POSIX system")
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    missing: dict[str, list[str]] = {}  # the signals without a handler, at each moment

    def on_line(line: str, runner: asyncio.Task[Any]) -> None:
        moment = "started 1" if line == "started 1" else line.split(" ")[0]
        if moment not in ("started 1", "cancelled") or moment in missing:
            return
        missing[moment] = not_installed(before)
        if "SIGTERM" not in missing[moment]:
            os.kill(os.getpid(), signal.SIGTERM)  # taken by the learner's handler
        elif moment == "started 1":
            runner.cancel()  # no handler: a SIGTERM would end the grading process

    args = ["--jobs", "6", "--workers", "2", "--job-seconds", "30", "--grace", "0.3"]
    try:
        code, probe = await run_in_process(args, on_line)
    except Abandoned:
        pytest.fail(
            f"when run_service printed `started 1`, {missing.get('started 1')} had no handler; "
            "expected both installed before serving: install the handlers, print `ready`, "
            "then serve."
        )
    assert missing.get("cancelled") == [], (
        f"when the late jobs were cancelled (serving not over yet), {missing.get('cancelled')} "
        "had no handler any more; expected both still installed: remove the handlers when "
        "serving is over, not at the first signal. A second SIGTERM during the grace period "
        "(a supervisor repeating itself) would otherwise kill the process (exit code -15)."
    )
    expected = "report: completed 0, cancelled 2, not started 4"
    assert code == 0 and report_line(probe.lines) == expected, (
        f"with a second SIGTERM while the late jobs were cancelled, run_service returned "
        f"{code!r} and printed {report_line(probe.lines)!r}; expected 0 and 'report: "
        "completed 0, cancelled 2, not started 4': a second signal changes nothing, the stop "
        "is already set."
    )
