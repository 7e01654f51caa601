"""Black-box tests of the check made at the instant a learner's call returns: every task it
started must be done by then, not merely cancelled (children.py)."""

from __future__ import annotations

from demo_kata import DemoKata

CALL_ONCE = """
@pytest.mark.task(1)
async def test_call() -> None:
    \"\"\"run() returns 42.\"\"\"
    assert await within(5, demo.run(), what="run()") == 42, "run() should return 42"
"""

WORKERS = """
import asyncio
async def worker(queue: asyncio.Queue[int]) -> None:
    while True:
        await queue.get()
        queue.task_done()
"""


def test_tasks_cancelled_but_not_awaited_are_named(kata: DemoKata) -> None:
    """Cancelling workers and returning at once is caught, though the workers unwind one
    step later (before any end-of-test check could see them), and the identical tasks are
    named once, with a count and the line that created them."""
    kata.write(
        WORKERS
        + """
async def run() -> int:
    queue: asyncio.Queue[int] = asyncio.Queue()
    workers = [asyncio.create_task(worker(queue)) for _ in range(3)]
    await queue.join()
    for task in workers:
        task.cancel()
    return 42
""",
        CALL_ONCE,
    )
    result = kata.pytest()
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "TASKS STILL RUNNING: `run()` returned while 3 task(s) it started" in text
    assert "3 x worker() (cancelled, still unwinding), created at target/01_demo/demo.py" in text
    assert "Await the tasks you cancelled" in text


def test_cancelled_and_awaited_tasks_pass(kata: DemoKata) -> None:
    """Cancelling the workers and awaiting them before returning passes."""
    kata.write(
        WORKERS
        + """
async def run() -> int:
    queue: asyncio.Queue[int] = asyncio.Queue()
    workers = [asyncio.create_task(worker(queue)) for _ in range(3)]
    await queue.join()
    for task in workers:
        task.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    return 42
""",
        CALL_ONCE,
    )
    kata.pytest().assert_outcomes(passed=1)


def test_siblings_left_running_after_an_error_are_named(kata: DemoKata) -> None:
    """The error path counts too: gather() raising its first error while the other
    awaitables still run is caught at the moment the call raises, after the test's own
    verdict on the exception."""
    kata.write(
        """
        import asyncio
        async def fail() -> None:
            raise ValueError("boom")
        async def run() -> int:
            await asyncio.gather(fail(), asyncio.sleep(10))
            return 42
        """,
        """
        @pytest.mark.task(1)
        async def test_call() -> None:
            \"\"\"run() raises the ValueError.\"\"\"
            with pytest.raises(ValueError):
                await within(5, demo.run(), what="run()")
        """,
    )
    result = kata.pytest()
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "TASKS STILL RUNNING: `run()` raised ValueError while 1 task(s)" in text
    assert "1 x sleep(), created at target/01_demo/demo.py, line 6, in run()" in text


def test_a_task_the_graders_fake_starts_is_not_blamed(kata: DemoKata) -> None:
    """A task started by the grader's own code, called from the learner's, is not the
    learner's to finish."""
    kata.write(
        """
        async def run(service) -> int:
            return await service.call()
        """,
        """
        class Service:
            async def call(self) -> int:
                self.background = asyncio.create_task(asyncio.sleep(0.05))
                return 42

        @pytest.mark.task(1)
        async def test_call() -> None:
            \"\"\"run() returns what the service returns.\"\"\"
            service = Service()
            assert await within(5, demo.run(service), what="run(service)") == 42
            await service.background
        """,
    )
    kata.pytest().assert_outcomes(passed=1)


def test_tasks_meant_to_outlive_the_call_can_be_allowed(kata: DemoKata) -> None:
    """A grader can declare that a call starts tasks on purpose (a server, a registry)."""
    kata.write(
        """
        import asyncio
        async def run() -> asyncio.Task[int]:
            return asyncio.create_task(asyncio.sleep(0.05, result=42))
        """,
        """
        @pytest.mark.task(1)
        async def test_call() -> None:
            \"\"\"run() starts a task that gives 42.\"\"\"
            task = await within(5, demo.run(), what="run()", tasks_may_outlive=True)
            assert await task == 42
        """,
    )
    kata.pytest().assert_outcomes(passed=1)


def test_wall_clock_deadline_on_the_fake_clock_is_pointed_out(kata: DemoKata) -> None:
    """When a fake-clock test fails and the learner's code reads the wall clock, the
    verdict says why that cannot work there, naming the line."""
    kata.write(
        """
        import asyncio, time
        async def run() -> int:
            deadline = time.monotonic() + 1
            while time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            return 42
        """,
        """
        @pytest.mark.task(1)
        @pytest.mark.looptime
        async def test_call() -> None:
            \"\"\"run() gives up after one second of loop time.\"\"\"
            assert await within(5, demo.run(), what="run()") == 42
        """,
    )
    result = kata.pytest()
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "runs the event loop on a fake clock" in text
    assert (
        "your code reads the wall clock at target/01_demo/demo.py, line 4: deadline = time.monotonic() + 1 (and 1 more)"
        in text
    )


def test_a_cancelled_task_failing_in_a_done_callback_is_reported(kata: DemoKata) -> None:
    """A done callback calling task.exception() on a cancelled task raises CancelledError
    into the loop's handler: reported, not taken for asyncio's own noise."""
    kata.write(
        """
        import asyncio
        def on_done(task: asyncio.Task[None]) -> None:
            task.exception()
        async def run() -> int:
            task = asyncio.create_task(asyncio.sleep(10))
            task.add_done_callback(on_done)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await asyncio.sleep(0)
            return 42
        """,
        CALL_ONCE,
    )
    result = kata.pytest()
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "ERROR IN THE EVENT LOOP" in text
    assert "CancelledError" in text


def test_an_aliased_wall_clock_is_pointed_out_too(kata: DemoKata) -> None:
    """`import time as clock; clock.monotonic()` is a wall-clock read as well."""
    kata.write(
        """
        import asyncio
        import time as clock
        async def run() -> int:
            deadline = clock.monotonic() + 1
            while clock.monotonic() < deadline:
                await asyncio.sleep(0.5)
            return 42
        """,
        """
        @pytest.mark.task(1)
        @pytest.mark.looptime
        async def test_call() -> None:
            \"\"\"run() gives up after one second of loop time.\"\"\"
            assert await within(5, demo.run(), what="run()") == 42
        """,
    )
    text = kata.pytest().stdout.str()
    assert "your code reads the wall clock at target/01_demo/demo.py, line 5" in text
