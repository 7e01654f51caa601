"""The leak-check fixture runs on a module-scoped loop while each test has its own loop.

pyleak's `no_task_leaks` snapshots the tasks of the loop it runs on. With
`loop_scope="module"` the fixture's loop is not the test's loop, so the fetch left running
by a broken fetch_all is never seen, and pytest-asyncio quietly cancels it when the test's
loop closes: the test passes.
"""

REJECTED_BY = {"test_catches_fetches_left_running_after_a_failure": "wrong_answer"}


@pytest_asyncio.fixture(loop_scope="module")
async def no_leaked_tasks() -> AsyncIterator[None]:
    """Fail the test that requests it if the test leaves a task running."""
    async with no_task_leaks(action="raise"):
        yield
