"""Black-box tests of the automatic leak checks: each leak is reported in plain words with
the learner's line, a test that fails and leaks shows its own failure first, and leaked
tasks are cleaned up so the next test starts clean."""

from __future__ import annotations

from demo_kata import DemoKata

RUN_TWICE = """
@pytest.mark.task(1)
async def test_first() -> None:
    \"\"\"run() returns 42.\"\"\"
    assert await within(5, demo.run(), what="run()") == 42, "run() should return 42"


@pytest.mark.task(1)
async def test_second_starts_clean() -> None:
    \"\"\"No task from an earlier test is still around.\"\"\"
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert not others, f"tasks left over: {others}"
"""


def test_leaked_task_names_its_creation_line_and_is_cleaned_up(kata: DemoKata) -> None:
    """A task left running fails the test with the line that created it; the next test
    starts with no leftover task."""
    kata.write(
        """
        import asyncio
        async def run() -> int:
            asyncio.get_running_loop().create_task(asyncio.sleep(3600))
            return 42
        """,
        RUN_TWICE,
    )
    result = kata.pytest()
    result.assert_outcomes(failed=1, passed=1)
    text = result.stdout.str()
    assert "TASKS STILL RUNNING: `run()` returned while 1 task(s) it started" in text
    assert "line 4, in run(): asyncio.get_running_loop().create_task(asyncio.sleep(3600))" in text
    assert "LEAKED TASK" not in text, "the same task must not be reported twice"


def test_task_leaked_outside_within_is_caught_at_the_end_of_the_test(kata: DemoKata) -> None:
    """A task the learner leaves running from a call the grader awaits directly (not
    through within) is still caught, by the check at the end of the test."""
    kata.write(
        """
        import asyncio
        async def run() -> int:
            asyncio.get_running_loop().create_task(asyncio.sleep(3600))
            return 42
        """,
        RUN_TWICE.replace('await within(5, demo.run(), what="run()")', "await demo.run()"),
    )
    result = kata.pytest()
    result.assert_outcomes(failed=1, passed=1)
    text = result.stdout.str()
    assert "LEAKED TASK" in text
    assert "line 4, in run(): asyncio.get_running_loop().create_task(asyncio.sleep(3600))" in text


def test_blocked_loop_names_the_blocking_line(kata: DemoKata) -> None:
    """time.sleep() in a coroutine is reported as a blocked loop at that line."""
    kata.write(
        "import time\nasync def run() -> int:\n    time.sleep(0.6)\n    return 42\n", RUN_TWICE
    )
    text = kata.pytest().stdout.str()
    assert "BLOCKED EVENT LOOP" in text
    assert "line 3, in run(): time.sleep(0.6)" in text


def test_blocking_in_a_task_the_learner_started_is_caught(kata: DemoKata) -> None:
    """Blocking inside a task created by the learner (not the test's own task) is caught."""
    kata.write(
        """
        import asyncio, time
        def slow() -> int:
            time.sleep(0.6)
            return 42
        async def worker() -> int:
            return slow()
        async def run() -> int:
            return await asyncio.create_task(worker())
        """,
        RUN_TWICE,
    )
    text = kata.pytest().stdout.str()
    assert "BLOCKED EVENT LOOP" in text and "in slow(): time.sleep(0.6)" in text


def test_unawaited_coroutine_is_reported_with_its_line(kata: DemoKata) -> None:
    """A coroutine called but never awaited fails the test and names where it was made."""
    kata.write(
        """
        import asyncio
        async def save() -> None:
            await asyncio.sleep(0)
        async def run() -> int:
            save()
            return 42
        """,
        RUN_TWICE,
    )
    text = kata.pytest().stdout.str()
    assert "UNAWAITED COROUTINE: `save()` was called but never awaited" in text
    assert "line 6, in run(): save()" in text


def test_lost_task_exception_is_reported(kata: DemoKata) -> None:
    """A task whose exception nobody retrieves fails the test instead of a log line."""
    kata.write(
        """
        import asyncio
        async def boom() -> None:
            raise ValueError("disk full")
        async def run() -> int:
            task = asyncio.create_task(boom())
            await asyncio.sleep(0.01)
            del task
            return 42
        """,
        RUN_TWICE,
    )
    text = kata.pytest().stdout.str()
    assert "LOST EXCEPTION: a task failed with ValueError: disk full" in text


def test_leaked_threads_daemon_or_not_are_reported(kata: DemoKata) -> None:
    """Threads left running are reported, daemon threads included."""
    kata.write(
        """
        import threading, time
        async def run() -> int:
            threading.Thread(target=time.sleep, args=(2,), name="worker", daemon=True).start()
            return 42
        """,
        RUN_TWICE,
    )
    text = kata.pytest().stdout.str()
    assert "LEAKED THREAD" in text and "worker" in text


def test_own_failure_comes_before_the_leak(kata: DemoKata) -> None:
    """When a test fails and also leaks, the functional failure is shown first."""
    kata.write(
        """
        import asyncio
        async def run() -> int:
            asyncio.get_running_loop().create_task(asyncio.sleep(3600))
            return 41
        """,
        RUN_TWICE,
    )
    text = kata.pytest().stdout.str()
    assert (
        text.index("run() should return 42")
        < text.index("Also found:")
        < text.index("TASKS STILL RUNNING")
    )


def test_clean_code_passes_every_check(kata: DemoKata) -> None:
    """Correct code that cleans up after itself passes with no finding."""
    kata.write(
        """
        import asyncio
        async def run() -> int:
            async with asyncio.TaskGroup() as group:
                task = group.create_task(asyncio.sleep(0.01, result=42))
            await asyncio.to_thread(sum, [1, 2])
            return task.result()
        """,
        RUN_TWICE,
    )
    kata.pytest().assert_outcomes(passed=2)


def test_error_in_a_done_callback_is_not_called_a_lost_task_exception(kata: DemoKata) -> None:
    """An exception raised by a callback is reported as such, not as a task's lost error."""
    kata.write(
        """
        import asyncio
        def on_done(task: asyncio.Task[None]) -> None:
            raise RuntimeError("callback bug")
        async def run() -> int:
            task = asyncio.create_task(asyncio.sleep(0))
            task.add_done_callback(on_done)
            await task
            await asyncio.sleep(0)
            return 42
        """,
        RUN_TWICE,
    )
    text = kata.pytest().stdout.str()
    assert "ERROR IN THE EVENT LOOP" in text and "callback bug" in text
    assert "LOST EXCEPTION" not in text


def test_generator_failing_at_cleanup_is_blamed_on_the_learner(kata: DemoKata) -> None:
    """A generator of the learner's that ignores GeneratorExit is the learner's problem,
    not reported as a grader error."""
    kata.write(
        """
        import asyncio
        async def numbers():
            while True:
                try:
                    yield 1
                except GeneratorExit:
                    continue
        async def run() -> int:
            gen = numbers()
            await gen.__anext__()
            return 42
        """,
        RUN_TWICE,
    )
    result = kata.pytest()
    result.assert_outcomes(failed=1, passed=1)
    text = result.stdout.str()
    assert "ignored GeneratorExit" in text and "grader's teardown failed" not in text
