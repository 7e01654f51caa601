"""Starting every command at once: the limit is never applied.

gather alone starts all the children together; with a long list of checks that is dozens
of processes competing for two cores.
"""

REJECTED_BY = {"test_limit_is_respected": "wrong_answer"}


async def run_checks(
    commands: Sequence[Sequence[str]], limit: int, timeout: float
) -> list[CheckResult]:
    return list(await asyncio.gather(*(run_check(argv, timeout) for argv in commands)))
