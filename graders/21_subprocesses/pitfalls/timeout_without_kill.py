"""Giving up on a slow child without killing it: the timeout stops the waiting, not the child.

`asyncio.timeout` cancels the `communicate()` await; the process itself runs on, for as
long as it likes, with nobody reading its output.
"""

REJECTED_BY = {"test_timed_out_command_is_killed_and_reaped": "wrong_answer"}


async def run_check(argv: Sequence[str], timeout: float) -> CheckResult:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        return CheckResult(tuple(argv), -9, b"", b"", True, process.pid)
    return CheckResult(tuple(argv), process.returncode, stdout, stderr, False, process.pid)
