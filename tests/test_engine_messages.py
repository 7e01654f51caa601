"""Black-box tests of the verdicts a learner reads: each kind of broken code gives a
one-paragraph message naming their line, never a traceback."""

from __future__ import annotations

import pytest
from demo_kata import DemoKata

CALLS_RUN = """
@pytest.mark.task(1)
async def test_run() -> None:
    \"\"\"run() returns 42.\"\"\"
    assert await within(5, demo.run(), what="run()") == 42, "run() should return 42"
"""


def assert_readable(result: pytest.RunResult) -> str:
    text = result.stdout.str()
    assert "Traceback" not in text, text
    assert 'File "' not in text, text
    return text


def test_not_started_names_the_step_and_line(kata: DemoKata) -> None:
    """A stub that raises NotImplementedError reads as "not started" with its line."""
    kata.write(
        """
        async def run() -> int:
            raise NotImplementedError("write run() (step 1)")
        """,
        CALLS_RUN,
    )
    result = kata.pytest()
    result.assert_outcomes(failed=1)
    text = assert_readable(result)
    assert "NOT STARTED: `run` in" in text
    assert "01_demo/demo.py (line 3)" in text
    assert "step 1 of" in text


def test_syntax_error_names_the_line(kata: DemoKata) -> None:
    """A syntax error in the learner's file is a message with the line, not a crash."""
    kata.write("async def run() -> int:\n    return (42\n", CALLS_RUN)
    result = kata.pytest()
    result.assert_outcomes(failed=1)
    assert "has a syntax error at line 2" in assert_readable(result)


def test_exception_at_import_is_explained(kata: DemoKata) -> None:
    """Code that crashes when the module is imported is reported as an import failure."""
    kata.write(
        "import json\nCONFIG = json.loads('{')\nasync def run() -> int:\n    return 42\n", CALLS_RUN
    )
    text = assert_readable(kata.pytest())
    assert "importing" in text and "raised JSONDecodeError" in text
    assert "line 2: CONFIG = json.loads('{')" in text


def test_missing_name_lists_what_is_defined(kata: DemoKata) -> None:
    """A renamed function is reported as a missing name, with the names that do exist."""
    kata.write("async def runner() -> int:\n    return 42\n", CALLS_RUN)
    text = assert_readable(kata.pytest())
    assert "MISSING NAME: the grader uses `run`" in text
    assert "Names defined there: runner" in text


def test_wrong_answer_shows_the_graders_sentence(kata: DemoKata) -> None:
    """A failed assertion shows the grader's message, not pytest's re-evaluation."""
    kata.write("async def run() -> int:\n    return 41\n", CALLS_RUN)
    text = assert_readable(kata.pytest())
    assert "run() should return 42" in text
    assert "assert 41 == 42" not in text


def test_unexpected_exception_points_at_the_learner_line(kata: DemoKata) -> None:
    """An exception inside the learner's code names its type, message and line."""
    kata.write("async def run() -> int:\n    return {}['answer']\n", CALLS_RUN)
    text = assert_readable(kata.pytest())
    assert "your code raised KeyError: 'answer'" in text
    assert "line 2, in run(): return {}['answer']" in text


def test_hang_is_reported_at_the_await_line_in_virtual_time(kata: DemoKata) -> None:
    """An await that never returns fails at the deadline (instantly on a fake clock) and
    names the line it was stuck at."""
    kata.write(
        "import asyncio\nasync def run() -> int:\n    await asyncio.Event().wait()\n    return 42\n",
        CALLS_RUN.replace("@pytest.mark.task(1)", "@pytest.mark.task(1)\n@pytest.mark.looptime"),
    )
    result = kata.pytest("--durations=1")
    text = assert_readable(result)
    assert "`run()` did not finish within 5 s" in text
    assert "line 3, in run(): await asyncio.Event().wait()" in text


def test_swallowed_cancellation_is_named(kata: DemoKata) -> None:
    """Code that catches CancelledError and returns is told that it swallowed it."""
    kata.write(
        """
        import asyncio
        async def run() -> int:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                return 0
            return 42
        """,
        CALLS_RUN.replace("@pytest.mark.task(1)", "@pytest.mark.task(1)\n@pytest.mark.looptime"),
    )
    text = assert_readable(kata.pytest())
    assert "when cancelled it returned normally instead of ending with CancelledError" in text


def test_sync_infinite_loop_hits_the_time_limit_at_its_line(kata: DemoKata) -> None:
    """A busy loop is stopped by the per-test time limit, which names the loop's line."""
    kata.write("async def run() -> int:\n    while True:\n        pass\n", CALLS_RUN)
    text = assert_readable(kata.pytest("-o", "timeout=1"))
    assert "TIME LIMIT" in text
    assert "line 2, in run(): while True:" in text or "line 3, in run(): pass" in text


def test_sys_exit_is_a_verdict_and_later_tests_still_run(kata: DemoKata) -> None:
    """sys.exit() inside the learner's function fails that test only."""
    kata.write(
        "import sys\nasync def run() -> int:\n    sys.exit(2)\ndef answer() -> int:\n    return 42\n",
        CALLS_RUN
        + """
@pytest.mark.task(1)
def test_answer() -> None:
    \"\"\"answer() is 42.\"\"\"
    assert demo.answer() == 42
""",
    )
    result = kata.pytest()
    result.assert_outcomes(failed=1, passed=1)
    assert "your code called sys.exit(2)" in assert_readable(result)


def test_traceback_is_kept_on_request(kata: DemoKata) -> None:
    """With --tb=long the traceback is shown, and the verdict is added as a section."""
    kata.write("async def run() -> int:\n    return {}['answer']\n", CALLS_RUN)
    text = kata.pytest("--tb=long").stdout.str()
    assert "KeyError" in text and "kata verdict" in text and "def run()" in text


def test_unknown_target_is_a_usage_error(kata: DemoKata) -> None:
    """A --target that is neither a tree name nor a folder is refused with the choices."""
    kata.write("async def run() -> int:\n    return 42\n", CALLS_RUN)
    result = kata.pytester.runpytest_subprocess("-p", "katagrader.plugin", "--target=nowhere")
    assert "neither exercises nor solutions nor a directory" in result.stderr.str()


def test_not_started_inside_a_task_group_is_still_not_started(kata: DemoKata) -> None:
    """A NotImplementedError raised in a TaskGroup (an ExceptionGroup) reads as not started."""
    kata.write(
        """
        import asyncio
        async def part() -> int:
            raise NotImplementedError("write part() (step 1)")
        async def run() -> int:
            async with asyncio.TaskGroup() as group:
                task = group.create_task(part())
            return task.result()
        """,
        CALLS_RUN,
    )
    assert "NOT STARTED: `part` in" in assert_readable(kata.pytest())


def test_hang_inside_gather_names_the_stuck_line(kata: DemoKata) -> None:
    """A gather that never finishes is reported at the learner's stuck await."""
    kata.write(
        """
        import asyncio
        async def part() -> int:
            await asyncio.Event().wait()
            return 21
        async def run() -> int:
            return sum(await asyncio.gather(part(), part()))
        """,
        CALLS_RUN.replace("@pytest.mark.task(1)", "@pytest.mark.task(1)\n@pytest.mark.looptime"),
    )
    text = assert_readable(kata.pytest())
    # On the fake clock the limit is loop time, and the message says so.
    assert "`run()` did not finish within 5 s of loop time" in text
    assert "line 4, in part(): await asyncio.Event().wait()" in text


def test_busy_polling_on_a_fake_clock_is_stopped_and_named(kata: DemoKata) -> None:
    """Polling with sleep(0) freezes virtual time; it is reported as a busy loop, quickly."""
    kata.write(
        """
        import asyncio
        async def run() -> int:
            ready = asyncio.Event()
            while not ready.is_set():
                await asyncio.sleep(0)
            return 42
        """,
        CALLS_RUN.replace("@pytest.mark.task(1)", "@pytest.mark.task(1)\n@pytest.mark.looptime"),
    )
    text = assert_readable(kata.pytest())
    assert "kept the event loop busy for 3 s of real time" in text
    assert "in run(): await asyncio.sleep(0)" in text


def test_hang_inside_an_async_generator_names_the_stuck_line(kata: DemoKata) -> None:
    """A hang inside an async generator consumed by `async for` names the generator's line."""
    kata.write(
        """
        import asyncio
        async def numbers():
            yield 1
            await asyncio.Event().wait()
            yield 2
        async def run() -> int:
            return sum([n async for n in numbers()])
        """,
        CALLS_RUN.replace("@pytest.mark.task(1)", "@pytest.mark.task(1)\n@pytest.mark.looptime"),
    )
    text = assert_readable(kata.pytest())
    assert "line 5, in numbers(): await asyncio.Event().wait()" in text
