"""Killing the timed-out child without waiting for it: it stays a zombie, its exit code unknown.

`kill()` only sends the signal. Until the parent collects the exit status with `wait()`,
the dead child keeps its entry in the process table and `returncode` stays None.
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
        process.kill()  # "it's dead now"
        return CheckResult(tuple(argv), process.returncode, b"", b"", True, process.pid)
    return CheckResult(tuple(argv), process.returncode, stdout, stderr, False, process.pid)
