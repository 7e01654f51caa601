"""Run a CI pipeline's checks as child processes: several at once, each with a deadline.

Before a merge, the pipeline runs a list of checks (linters, test shards, a build), each a
separate program. Run one after another they take the sum of their times; run all at once
they swamp the machine. A check that hangs must not hang the pipeline: after its deadline it
is killed, and its process reaped, so no zombie is left behind.

1. `run_check`: run one command, capture its output and exit code, and kill it (and wait
   for it to end) if it runs past `timeout` seconds.
2. `run_checks`: run many commands concurrently, never more than `limit` at once, results in
   the order of the commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """How one command ended."""

    argv: tuple[str, ...]
    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool
    pid: int

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


# A timeout parameter (rather than letting the caller wrap the call in asyncio.timeout) because
# a late command is not an error here: it is killed, reaped, and reported as timed out.
async def run_check(argv: Sequence[str], timeout: float) -> CheckResult:  # noqa: ASYNC109
    """Run one command as a child process and collect what it printed.

    Args:
        argv: the program and its arguments (no shell involved).
        timeout: how many seconds the command may run.

    Returns:
        A `CheckResult` with the exit code and everything written to stdout and stderr. If
        the command ran past `timeout`, it has been killed and waited for: `timed_out` is
        True, `returncode` is the one the kill gave (negative on POSIX), the output is empty.

    Raises:
        FileNotFoundError: the program does not exist.

    Example:
        >>> asyncio.run(run_check([sys.executable, "-c", "print(1)"], 5)).stdout
        b'1\\n'
    """
    # exec, not shell: the arguments reach the program as they are, with no quoting
    # problems and no shell process in between (killing the shell would leave the program).
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout = stderr = b""
    timed_out = False
    try:
        async with asyncio.timeout(timeout):
            # communicate() reads stdout and stderr while it waits for the exit. wait()
            # alone would deadlock on a chatty child: the pipe fills up (64 KiB), the child
            # blocks writing, and it never exits because nobody reads.
            stdout, stderr = await process.communicate()
    except TimeoutError:
        timed_out = True
    finally:
        # Runs on timeout and on cancellation too. A timeout only stops *our* waiting: the
        # child keeps running until it is killed. And a killed child stays a zombie (its
        # exit status kept by the kernel) until it is waited for, so wait() after kill().
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # it may have just exited
                process.kill()
            await process.wait()
    return CheckResult(tuple(argv), process.returncode, stdout, stderr, timed_out, process.pid)


async def run_checks(
    commands: Sequence[Sequence[str]],
    limit: int,
    timeout: float,  # noqa: ASYNC109 (each command's own time limit, see run_check)
) -> list[CheckResult]:
    """Run every command concurrently, at most `limit` at a time.

    Args:
        commands: the commands to run (each an argv list).
        limit: how many child processes may run at once.
        timeout: each command's own deadline, in seconds (see `run_check`).

    Returns:
        One `CheckResult` per command, in the order of `commands`.

    Raises:
        FileNotFoundError: a program does not exist.

    Example:
        >>> cmds = [[sys.executable, "-c", f"print({n})"] for n in range(3)]
        >>> [r.stdout for r in asyncio.run(run_checks(cmds, limit=2, timeout=5))]
        [b'0\\n', b'1\\n', b'2\\n']
    """
    # The semaphore is taken before the process is started and released after it was
    # reaped: `limit` counts live child processes, not coroutines.
    slots = asyncio.Semaphore(limit)

    async def one(argv: Sequence[str]) -> CheckResult:
        async with slots:
            return await run_check(argv, timeout)

    # gather keeps the order of the commands; each child runs its own timeout.
    return list(await asyncio.gather(*(one(argv) for argv in commands)))


async def main() -> None:
    python = sys.executable
    commands = [
        [python, "-c", "import time; time.sleep(0.5); print('lint ok')"],
        [python, "-c", "import time; time.sleep(0.5); print('types ok')"],
        [python, "-c", "import sys; print('x' * 1_000_000); sys.exit(0)"],
        [python, "-c", "import sys; sys.stderr.write('test_cart failed\\n'); sys.exit(1)"],
        [python, "-c", "import time; time.sleep(60)"],  # a hung check
    ]
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await run_checks(commands, limit=3, timeout=2.0)
    for result in results:
        status = (
            f"TIMEOUT ({result.returncode})" if result.timed_out else f"exit {result.returncode}"
        )
        print(f"{status:>13}  {len(result.stdout):>8} bytes out  {result.stderr[:40]!r}")
    print(f"{len(results)} checks in {loop.time() - started:.1f} s")


if __name__ == "__main__":
    asyncio.run(main())
