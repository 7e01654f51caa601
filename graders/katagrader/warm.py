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
from typing import IO, Any

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
    """The client side: starts the server and asks it for gradings, one at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None

    @staticmethod
    def supported() -> bool:
        return hasattr(os, "fork") and os.name == "posix"

    def start(self) -> bool:
        """Start the server (imports take ~0.4 s, in the background of the first grading)."""
        if not self.supported():
            return False
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "katagrader.warm"],
                cwd=REPO_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=server_environment(),
                text=True,
                bufsize=1,
            )
        return True

    def ready(self, timeout: float = 30.0) -> bool:
        """Wait until the server has imported everything (its first line)."""
        if not self.start() or self._process is None or self._process.stdout is None:
            return False
        return self._reply(self._process.stdout, timeout) == {"ready": True} or self._alive()

    def _alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _reply(self, stream: IO[str], timeout: float) -> dict[str, Any] | None:
        ready, _, _ = select.select([stream], [], [], timeout)
        if not ready:
            return None
        line = stream.readline()
        try:
            data = json.loads(line)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def launch(
        self, command: list[str], output: Path, seconds: float, env: dict[str, str] | None
    ) -> tuple[int | None, bool]:
        """A runner launcher: the pytest command run in a forked child of the server."""
        from .runner import _run_isolated

        pytest_args = command[3:] if command[1:3] == ["-m", "pytest"] else None
        with self._lock:
            if pytest_args is None or env or not self.start() or self._process is None:
                return _run_isolated(command, output, seconds, env)
            assert self._process.stdin is not None and self._process.stdout is not None
            request = {"args": pytest_args, "output": str(output), "seconds": seconds}
            try:
                self._process.stdin.write(json.dumps(request) + "\n")
                self._process.stdin.flush()
            except OSError:
                return _run_isolated(command, output, seconds, env)
            reply = self._reply(self._process.stdout, seconds + 30)
        if reply is None or "returncode" not in reply:
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
            self._process = None


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


def _child(args: list[str], output: str) -> None:
    """In the forked child: become a grading process exactly like a spawned one."""
    os.setsid()  # its own process group: killed with everything it starts
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.close(null)
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", closefd=False, buffering=1)
    sys.stderr = open(2, "w", closefd=False, buffering=1)
    # The plugins were imported by the server, before pytest could mark them for assertion
    # rewriting: it warns so, about modules whose asserts do not matter to a grading.
    args = [*args, "-W", "ignore::pytest.PytestAssertRewriteWarning"]
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
        try:
            os.killpg(pid, signal.SIGKILL)  # stray children of the learner's code too
        except (ProcessLookupError, PermissionError):
            pass
    if status is None:
        os.waitpid(pid, 0)
        return None, True
    return os.waitstatus_to_exitcode(status), False


def serve() -> None:
    """Read one JSON request a line, fork a grading child for it, answer with its exit."""
    _preload()
    gc.freeze()  # shared with the children, never scanned by their collections
    os.chdir(REPO_ROOT)
    reply = sys.stdout
    reply.write(json.dumps({"ready": True}) + "\n")
    reply.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            args = [str(a) for a in request["args"]]
            output, seconds = str(request["output"]), float(request["seconds"])
        except (ValueError, KeyError, TypeError):
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(args, output)
        returncode, timed_out = _wait(pid, seconds)
        reply.write(json.dumps({"returncode": returncode, "timed_out": timed_out}) + "\n")
        reply.flush()


if __name__ == "__main__":
    serve()
