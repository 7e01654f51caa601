"""Waiting for the child to exit before reading its output: a chatty child never exits.

The pipe between the processes holds about 64 KiB. A child writing more blocks until
someone reads, and `wait()` reads nothing: both sides wait for each other forever.
"""

REJECTED_BY = {"test_megabytes_of_output_do_not_deadlock": "timeout"}


async def run_check(argv: Sequence[str], timeout: float) -> CheckResult:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(timeout):
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()
        return CheckResult(tuple(argv), process.returncode, b"", b"", True, process.pid)
    assert process.stdout is not None and process.stderr is not None
    stdout = await process.stdout.read()
    stderr = await process.stderr.read()
    return CheckResult(tuple(argv), process.returncode, stdout, stderr, False, process.pid)
