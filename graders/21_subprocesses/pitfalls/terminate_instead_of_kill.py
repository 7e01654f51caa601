"""`terminate()` instead of `kill()`: SIGTERM can be ignored, and the wait never ends.

A child busy in a build, or one that installed its own SIGTERM handler, goes on running;
`await process.wait()` then waits for it for as long as it runs.
"""

REJECTED_BY = {"test_timed_out_command_is_killed_and_reaped": "timeout"}


async def run_check(argv: Sequence[str], timeout: float) -> CheckResult:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout = stderr = b""
    timed_out = False
    try:
        async with asyncio.timeout(timeout):
            stdout, stderr = await process.communicate()
    except TimeoutError:
        timed_out = True
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
    return CheckResult(tuple(argv), process.returncode, stdout, stderr, timed_out, process.pid)
