"""Killing the timed-out child and reporting -9 without waiting for it: "SIGKILL is -9".

`kill()` only sends the signal: the child is not reaped when run_check returns (a zombie,
until asyncio's child watcher gets to it), and the returncode reported is a guess, not the
process's own (on Windows a killed process does not even end with -9).
"""

REJECTED_BY = {"test_timed_out_command_is_killed_and_reaped": "wrong_answer"}


async def run_check(argv: Sequence[str], timeout: float) -> CheckResult:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(timeout):
            stdout, stderr = await process.communicate()
    except TimeoutError:
        process.kill()
        return CheckResult(tuple(argv), -9, b"", b"", True, process.pid)
    return CheckResult(tuple(argv), process.returncode, stdout, stderr, False, process.pid)
