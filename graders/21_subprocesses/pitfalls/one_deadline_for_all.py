"""One deadline around the whole run: the commands waiting for a slot use up their time.

`asyncio.timeout` around the gather (or taken before the semaphore) starts every command's
clock at once; with `limit=1`, the last command's time is mostly spent waiting.
"""

REJECTED_BY = {"test_each_command_has_its_own_timeout": "wrong_answer"}


async def run_checks(
    commands: Sequence[Sequence[str]], limit: int, timeout: float
) -> list[CheckResult]:
    slots = asyncio.Semaphore(limit)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    async def one(argv: Sequence[str]) -> CheckResult:
        async with slots:
            return await run_check(argv, max(0.0, deadline - loop.time()))

    return list(await asyncio.gather(*(one(argv) for argv in commands)))
