"""A warm grading process for `watch`: pytest, its plugins and the engine imported once,
then one fresh forked child per grading.

Starting pytest costs about 0.4 s, nearly all of it imports; a save in watch mode should
give its verdict faster than that. The server imports everything a grading needs and
waits; for each grading it forks a child, which runs pytest exactly as the runner's own
process would (same command line, same environment, its own process group, output to a
file) and is judged the same way. Each child is a copy of the untouched server, so no
grading sees what an earlier one did. The server never runs a test or starts a thread
itself (forking a threaded process is unsafe).

Where `fork` is not available (Windows) or the server cannot start, grading falls back to
spawning a new process per grading (`runner.run_kata`'s default).
"""

from __future__ import annotations

import gc
import importlib
import importlib.metadata
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .runner import GRADERS, PYCACHE, KataResult, Launcher, run_kata
from .targets import REPO_ROOT

# Imported by the server before it forks: what every grading needs.
_PRELOAD = (
    "pytest",
    "_pytest.config",
    "_pytest.terminal",
    "_pytest.python",
    "_pytest.assertion.rewrite",
    "pytest_asyncio",
    "pytest_timeout",
    "pyleak",
    "looptime",
    "katagrader.plugin",
    "asyncio",
)


def server_environment() -> dict[str, str]:
    """The environment of a grading process (as runner._run_isolated builds it)."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(GRADERS), env.get("PYTHONPATH")) if p)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


class WarmServer:
    """The client side: starts the server and asks it for gradings, one at a time.

    After each grading the server forks the next child at once and lets it start pytest
    (configure, load the plugins, collect the grader) up to the first test, where it waits
    for the next request of the same kata: a save then costs only the tests themselves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._pending = b""

    @staticmethod
    def supported() -> bool:
        return hasattr(os, "fork") and os.name == "posix"

    def start(self) -> bool:
        """Start the server (its imports run while the caller does other things)."""
        if not self.supported():
            return False
        if self._process is None or self._process.poll() is not None:
            self._pending = b""
            self._process = subprocess.Popen(
                [sys.executable, "-m", "katagrader.warm"],
                cwd=REPO_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=server_environment(),
                bufsize=0,
            )
        return True

    def _reply(self, timeout: float, wanted: str) -> dict[str, Any] | None:
        """The server's next answer holding `wanted` (its "ready" line is skipped)."""
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self._pending:
                line, self._pending = self._pending.split(b"\n", 1)
                try:
                    data = json.loads(line)
                except ValueError:
                    continue
                if isinstance(data, dict) and wanted in data:
                    return data
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None  # the server ended
            self._pending += chunk

    def _send(self, request: dict[str, Any]) -> bool:
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write((json.dumps(request) + "\n").encode())
        except OSError:
            return False
        return True

    def launch(
        self, command: list[str], output: Path, seconds: float, env: dict[str, str] | None
    ) -> tuple[int | None, bool]:
        """A runner launcher: the pytest command run in a forked child of the server."""
        from .runner import _run_isolated

        pytest_args = command[3:] if command[1:3] == ["-m", "pytest"] else None
        report = next((a for a in pytest_args or [] if a.startswith(_REPORT)), None)
        with self._lock:
            if pytest_args is None or report is None or env or not self.start():
                return _run_isolated(command, output, seconds, env)
            base = [a for a in pytest_args if a != report]
            request = {
                "base": base,
                "report": report[len(_REPORT) :],
                "output": str(output),
                "seconds": seconds,
            }
            reply = self._reply(seconds + 30, "returncode") if self._send(request) else None
        if reply is None:
            self.close()  # a server that does not answer is not trusted again
            return _run_isolated(command, output, seconds, env)
        return reply["returncode"], bool(reply["timed_out"])

    def grade(self, *args: Any, **options: Any) -> KataResult:
        launcher: Launcher = self.launch
        return run_kata(*args, launch=launcher, **options)

    def close(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            for stream in (self._process.stdin, self._process.stdout):
                if stream is not None:
                    stream.close()
            self._process = None


_REPORT = "--kata-report="
# The armed child reads its go (or end of file: not needed after all) on this descriptor.
GATE_ENV = "KATAGRADER_WARM_GATE"
# The exit of an armed child that found the learner's module already imported (gate.py).
STALE_EXIT = 75


# ---------------------------------------------------------------- the server process


def _preload() -> None:
    for name in _PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    # The plugins pytest loads from entry points (pytest-asyncio, looptime, anyio...).
    for entry in importlib.metadata.entry_points(group="pytest11"):
        try:
            entry.load()
        except Exception:  # a broken plugin is reported by pytest itself, in the child
            pass


def _child(args: list[str], output: str | None, gate: int | None) -> None:
    """In the forked child: become a grading process exactly like a spawned one. With a
    `gate`, it waits there before its first test (gate.py) and learns its output then."""
    os.setsid()  # its own process group: killed with everything it starts
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    null = os.open(os.devnull, os.O_RDWR)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600) if output else null
    os.dup2(null, 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", closefd=False, buffering=1)
    sys.stderr = open(2, "w", closefd=False, buffering=1)
    # The plugins were imported by the server, before pytest could mark them for assertion
    # rewriting: it warns so, about modules whose asserts do not matter to a grading.
    args = [*args, "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    if gate is not None:
        os.environ[GATE_ENV] = str(gate)
        args += ["-p", "katagrader.gate"]
    sys.argv = [sys.executable, "-m", "pytest", *args]
    code = 1
    try:
        import pytest

        code = int(pytest.main(args))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait(pid: int, seconds: float) -> tuple[int | None, bool]:
    """Wait for the child up to `seconds`; kill its whole group either way."""
    deadline = time.monotonic() + seconds
    status: int | None = None
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    try:
        while status is None:
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = raw
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if pidfd is not None:
                select.select([pidfd], [], [], left)
            else:
                time.sleep(min(0.005, left))
    finally:
        if pidfd is not None:
            os.close(pidfd)
        _kill_group(pid)
    if status is None:
        os.waitpid(pid, 0)
        return None, True
    return os.waitstatus_to_exitcode(status), False


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # stray children of the learner's code too
    except (ProcessLookupError, PermissionError):
        pass


class _Armed:
    """A child started for `base`, waiting at its gate for the next grading."""

    def __init__(self, base: list[str]) -> None:
        self.base = base
        read, self.gate = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self.gate)
            _child(base, None, read)
        os.close(read)

    def go(self, output: str, report: str) -> bool:
        try:
            os.write(self.gate, (json.dumps({"output": output, "report": report}) + "\n").encode())
        except OSError:  # it ended while waiting (a grader that failed to collect...)
            return False
        finally:
            self._close_gate()
        return True

    def _close_gate(self) -> None:
        if self.gate >= 0:
            os.close(self.gate)
            self.gate = -1

    def discard(self) -> None:
        self._close_gate()  # end of file: the child leaves
        _kill_group(self.pid)
        os.waitpid(self.pid, 0)


def serve() -> None:
    """Read one JSON request a line, grade it in a forked child, answer with its exit;
    then arm the next child for the same command."""
    _preload()
    gc.freeze()  # shared with the children, never scanned by their collections
    os.chdir(REPO_ROOT)
    reply = sys.stdout
    reply.write(json.dumps({"ready": True}) + "\n")
    reply.flush()
    armed: _Armed | None = None
    for line in sys.stdin:
        try:
            request = json.loads(line)
            base = [str(a) for a in request["base"]]
            report, output = str(request["report"]), str(request["output"])
            seconds = float(request["seconds"])
        except (ValueError, KeyError, TypeError):
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        returncode: int | None = None
        timed_out = False
        if armed is not None and armed.base == base and armed.go(output, report):
            returncode, timed_out = _wait(armed.pid, seconds)
        elif armed is not None:
            armed.discard()
        armed = None
        if returncode in (None, STALE_EXIT) and not timed_out:
            pid = os.fork()
            if pid == 0:
                _child([*base, _REPORT + report], output, None)
            returncode, timed_out = _wait(pid, seconds)
        reply.write(json.dumps({"returncode": returncode, "timed_out": timed_out}) + "\n")
        reply.flush()
        armed = _Armed(base)  # ready for the next save of the same kata


if __name__ == "__main__":
    serve()
