"""Grades exercises/21_subprocesses/checks.py: child processes with a limit and a deadline.

Every command is a `sys.executable -c` snippet. Each child first writes its pid into a
folder of the test, so the `children` fixture can kill any child the learner's code left
running, whatever happened in the test. Concurrency is proven by a TCP rendezvous, not a
clock; the one real-time test (each command's own timeout) has a wide margin: 1.5 s
commands against a 4 s timeout, while a shared deadline would need 4.5 s.

Whether a killed child was waited for is read from its `asyncio.subprocess.Process` in the
same loop step as `run_check` returns (SpawnedProcesses), not from the process table: the
child watcher reaps a killed child a moment later anyway, so whether its pid is still there
after the call would be a race.

Requirements:
- 1: the child's exit code, stdout and stderr, via pipes -> test_captures_output_and_exit_code
- 1: output read while waiting (communicate), no pipe deadlock -> test_megabytes_of_output_do_not_deadlock
- 1: past the timeout: killed (SIGKILL), waited for (the Process's returncode already set
  when run_check returns), timed_out=True, that returncode reported, empty output
  -> test_timed_out_command_is_killed_and_reaped
- 1: the timeout counts from the command's own start -> test_each_command_has_its_own_timeout
- 2: results in the order of commands -> test_run_checks_keeps_command_order
- 2: commands run concurrently -> test_commands_run_at_the_same_time
- 2: never more than `limit` children alive -> test_limit_is_respected
- 2: no commands give no results -> test_no_commands_give_no_results
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from katagrader import learner_module, within

checks = learner_module("checks")

PY = sys.executable
RECORD_PID = "import os, sys; open(os.path.join(sys.argv[1], str(os.getpid())), 'w').close()\n"


class Children:
    """Builds the test's commands and knows the pid of every child they started."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def command(self, body: str, *args: str) -> list[str]:
        return [PY, "-c", RECORD_PID + body, str(self.folder), *args]

    def pids(self) -> list[int]:
        return sorted(int(p.name) for p in self.folder.iterdir())

    def kill_leftovers(self) -> list[int]:
        killed = []
        for pid in self.pids():
            if is_running(pid) and self._is_ours(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
                    killed.append(pid)
        return killed

    def _is_ours(self, pid: int) -> bool:
        try:
            return str(self.folder).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return not Path("/proc").is_dir()  # no /proc: trust the pid file


def is_running(pid: int) -> bool:
    """Whether a process with this pid exists (a zombie, dead but not reaped, counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture
async def children(tmp_path: Path) -> AsyncIterator[Children]:
    """The test's commands; afterwards, kill what the learner's code left running.

    Async, so the clean-up runs while the test's event loop is still open: asyncio reaps
    the killed children, and the transports the learner's code abandoned are collected now
    rather than in a later test (where their clean-up would fail on a closed loop).
    """
    folder = tmp_path / "pids"
    folder.mkdir()
    kids = Children(folder)
    try:
        yield kids
    finally:
        killed = kids.kill_leftovers()
        for _ in range(40):
            if not any(is_running(pid) for pid in killed):
                break
            await asyncio.sleep(0.05)  # asyncio's child watcher reaps them meanwhile
        if killed:
            # A transport whose child was killed here may still be referenced by the failed
            # test's traceback; close it while its loop is open, or its clean-up fails later,
            # in another test.
            gc.collect()
            for obj in gc.get_objects():
                if isinstance(obj, asyncio.SubprocessTransport) and not obj.is_closing():
                    obj.close()
            for _ in range(3):
                await asyncio.sleep(0)


class Rendezvous:
    """A TCP server on 127.0.0.1 that every child connects to before it finishes.

    A child connects, says hello and waits for `go`. The server holds the children until
    `expected` of them are connected at once (or `patience` seconds have passed, after which
    it holds nobody), so `peak` is how many children were running together, whatever the
    speed of the machine.
    """

    SNIPPET = (
        "import socket\n"
        "s = socket.create_connection(('127.0.0.1', {port}))\n"
        "s.sendall(sys.argv[2].encode() + b'\\n')\n"
        "s.recv(16)\n"
        "s.close()\n"
        "print('done', sys.argv[2])\n"
    )

    def __init__(self, expected: int, patience: float = 3.0) -> None:
        self.expected = expected
        self.patience = patience
        self.current = 0
        self.peak = 0
        self.port = 0
        self._go = asyncio.Event()
        self._handlers: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    def command(self, children: Children, tag: str) -> list[str]:
        return children.command(self.SNIPPET.format(port=self.port), tag)

    async def __aenter__(self) -> Rendezvous:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await reader.readline()
            self.current += 1
            self.peak = max(self.peak, self.current)
            if self.current >= self.expected:
                self._go.set()
            try:
                await asyncio.wait_for(self._go.wait(), self.patience)
            except TimeoutError:
                self._go.set()  # stop holding anyone: the peak will not grow any more
            self.current -= 1
            writer.write(b"go\n")
            await writer.drain()
        except (ConnectionError, OSError):
            pass  # a child killed by the learner's code: nothing to serve
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
            self._handlers.discard(task)


@pytest.mark.task(1)
async def test_captures_output_and_exit_code(children: Children) -> None:
    """run_check returns the child's stdout, stderr and exit code."""
    argv = children.command(
        "sys.stdout.write('lint ok\\n'); sys.stderr.write('1 warning'); sys.exit(3)"
    )
    result = await within(15, checks.run_check(argv, 10), what="run_check(argv, timeout=10)")
    got = (result.returncode, result.stdout, result.stderr, result.timed_out)
    expected = (3, b"lint ok\n", b"1 warning", False)
    assert got == expected, (
        f"run_check on a child that prints 'lint ok', writes '1 warning' to stderr and exits "
        f"with 3 gave (returncode, stdout, stderr, timed_out) = {got!r}; expected {expected!r}. "
        "Start it with stdout=PIPE and stderr=PIPE and collect both with "
        "`await process.communicate()`."
    )
    assert result.pid in children.pids(), (
        f"run_check reported pid {result.pid}; the child's pid was {children.pids()}."
    )


@pytest.mark.task(1)
async def test_megabytes_of_output_do_not_deadlock(children: Children) -> None:
    """A child that writes 4 MB to stdout is read to the end while it runs."""
    argv = children.command("sys.stdout.buffer.write(b'x' * 4_000_000)")
    result = await within(
        4, checks.run_check(argv, 30), what="run_check(child writing 4 MB, timeout=30)"
    )
    assert result.stdout == b"x" * 4_000_000 and result.returncode == 0, (
        f"run_check on a child writing 4 MB returned {len(result.stdout)} bytes and exit code "
        f"{result.returncode}; expected all 4,000,000 bytes and exit code 0. Read the pipes "
        "while waiting: `await process.communicate()`, not `wait()` then `read()`."
    )


class SpawnedProcesses:
    """Every `asyncio.subprocess.Process` created during the test, however the learner's code
    reached `create_subprocess_exec` (the class is patched, not the function), so that the
    test can read each one's `returncode` at the moment of its choosing.

    asyncio sets `returncode` on the loop's thread, in the callback that runs once it has
    collected the child's exit status (reaped it): read in the same step as `run_check`
    returns, with no await in between, it says whether the child had been waited for by
    then, whatever the speed of the machine or the child watcher of this Python.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.processes: list[asyncio.subprocess.Process] = []
        original_init = asyncio.subprocess.Process.__init__
        spawned = self

        def init(process: asyncio.subprocess.Process, *args: object, **kwargs: object) -> None:
            original_init(process, *args, **kwargs)  # type: ignore[arg-type]
            spawned.processes.append(process)

        monkeypatch.setattr(asyncio.subprocess.Process, "__init__", init)

    def returncodes(self) -> dict[int, int | None]:
        return {process.pid: process.returncode for process in self.processes}


@pytest.mark.task(1)
async def test_timed_out_command_is_killed_and_reaped(
    children: Children, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command past its timeout is killed and waited for: when run_check returns, asyncio
    has collected the child's exit status, and that is the returncode reported.

    The child ignores SIGTERM, as a busy build tool may: only kill() (SIGKILL) ends it."""
    argv = children.command(
        "import signal, time\n"
        "if hasattr(signal, 'SIGTERM'): signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('starting', flush=True)\n"
        "time.sleep(60)"
    )
    spawned = SpawnedProcesses(monkeypatch)

    async def run_check_and_look() -> tuple[Any, dict[int, int | None]]:
        result = await checks.run_check(argv, 0.5)
        # Same step as the return, no await in between: asyncio cannot have reaped since.
        return result, spawned.returncodes()

    result, returncodes = await within(
        10, run_check_and_look(), what="run_check(sleep 60, timeout=0.5)"
    )
    assert result.timed_out, (
        f"run_check on a child that sleeps 60 s with timeout=0.5 returned timed_out=False "
        f"({result!r}); expected True."
    )
    assert result.pid in returncodes, (
        f"run_check(sleep 60, timeout=0.5) reported pid {result.pid}, but the processes it "
        f"started with asyncio had pids {sorted(returncodes)}; expected the child's own pid, "
        "`process.pid`."
    )
    real = returncodes[result.pid]
    assert real is not None, (
        "when run_check(sleep 60, timeout=0.5) returned, asyncio had not collected the child's "
        "exit status: its Process.returncode was still None, so the child was left running, or "
        "dead but not reaped (a zombie)"
        + (
            f"; the returncode {result.returncode} in your result was not the process's"
            if result.returncode is not None
            else ""
        )
        + ". A timeout only stops your waiting, not the child: kill it (`process.kill()`), "
        "then wait for it (`await process.wait()`) before returning, and report "
        "`process.returncode`."
    )
    assert result.returncode == real, (
        f"run_check(sleep 60, timeout=0.5) returned returncode={result.returncode}, but the "
        f"killed process's own returncode was {real}; report the one wait() gave "
        "(`process.returncode`), not a number of your own."
    )
    if hasattr(signal, "SIGKILL"):
        assert result.returncode == -signal.SIGKILL, (
            f"run_check(sleep 60, timeout=0.5) returned returncode={result.returncode}; "
            f"expected {-signal.SIGKILL}, the exit status of a child ended by kill() (SIGKILL)."
        )
    assert (result.stdout, result.stderr) == (b"", b""), (
        f"run_check(sleep 60, timeout=0.5) returned stdout={result.stdout!r} and "
        f"stderr={result.stderr!r}; expected empty output for a timed-out command (the child "
        "printed 'starting' before it hung)."
    )


@pytest.mark.task(1)
async def test_each_command_has_its_own_timeout(children: Children) -> None:
    """With limit=1 and timeout=4, three commands of 1.5 s each all finish: the timeout
    counts from each command's start, not from run_checks' (the third starts after 3 s)."""
    commands = [children.command(f"import time; time.sleep(1.5); print({n})") for n in range(3)]
    results = await within(
        30,
        checks.run_checks(commands, 1, 4),
        what="run_checks(3 commands of 1.5 s, limit=1, timeout=4)",
    )
    late = [n for n, r in enumerate(results) if r.timed_out]
    assert not late, (
        f"run_checks(3 commands of 1.5 s, limit=1, timeout=4) reported command(s) {late} as "
        "timed out; expected none: each command has `timeout` seconds from its own start. A "
        "deadline taken before waiting for a slot (or around the whole gather) also counts "
        "the time spent waiting for the others."
    )


@pytest.mark.task(2)
async def test_run_checks_keeps_command_order(children: Children) -> None:
    """run_checks returns one result per command, in the order of the commands."""
    commands = [
        children.command(f"import time; time.sleep({delay}); print({n})")
        for n, delay in enumerate([0.3, 0.0, 0.2, 0.1])
    ]
    results = await within(
        20, checks.run_checks(commands, 4, 10), what="run_checks(4 commands, limit=4, timeout=10)"
    )
    got = [r.stdout for r in results]
    expected = [b"0\n", b"1\n", b"2\n", b"3\n"]
    assert got == expected, (
        f"run_checks(4 commands, limit=4, timeout=10) gave outputs {got!r}; expected {expected!r}, "
        "one result per command in the order of the commands (asyncio.gather keeps it)."
    )


@pytest.mark.task(2)
async def test_commands_run_at_the_same_time(children: Children) -> None:
    """With limit=3, three commands are running at the same moment."""
    async with Rendezvous(expected=3) as meeting:
        commands = [meeting.command(children, f"job{n}") for n in range(3)]
        results = await within(
            20,
            checks.run_checks(commands, 3, 15),
            what="run_checks(3 commands, limit=3, timeout=15)",
        )
    assert meeting.peak == 3, (
        f"run_checks(3 commands, limit=3) had at most {meeting.peak} child process(es) running "
        "at once; expected 3. Start every command before awaiting any (asyncio.gather of "
        "run_check calls)."
    )
    assert [r.stdout for r in results] == [f"done job{n}\n".encode() for n in range(3)], (
        f"the outputs were {[r.stdout for r in results]!r}; expected 'done jobN' in order."
    )


@pytest.mark.task(2)
async def test_limit_is_respected(children: Children) -> None:
    """With limit=2 and six commands, exactly two children run at a time, never three."""
    async with Rendezvous(expected=3, patience=2.5) as meeting:
        commands = [meeting.command(children, f"job{n}") for n in range(6)]
        await within(
            30,
            checks.run_checks(commands, 2, 20),
            what="run_checks(6 commands, limit=2, timeout=20)",
        )
    assert meeting.peak <= 2, (
        f"run_checks(6 commands, limit=2) had {meeting.peak} child processes running at once; "
        "the limit is 2. Take an asyncio.Semaphore(limit) around the whole life of each child "
        "(start, communicate, wait)."
    )
    assert meeting.peak == 2, (
        f"run_checks(6 commands, limit=2) had at most {meeting.peak} child process running at "
        "once; expected 2: start them all with gather and let the semaphore hold back the rest."
    )


@pytest.mark.task(2)
async def test_no_commands_give_no_results() -> None:
    """An empty list of commands gives an empty list."""
    results = await within(
        5, checks.run_checks([], 2, 5), what="run_checks([], limit=2, timeout=5)"
    )
    assert list(results) == [], f"run_checks([], ...) returned {results!r}; expected []."
