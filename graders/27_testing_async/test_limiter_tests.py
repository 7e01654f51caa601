"""Grades exercises/27_testing_async/limiter_tests.py by mutation: the learner's tests must
pass against the correct `fetch_all` and catch each broken copy of it.

Each run copies the learner's file into a scratch folder, appends a broken `fetch_all`
(the same way a pitfall is laid over a solution), and runs pytest on it in a subprocess
with a JUnit report. A broken copy counts as caught when a test that passes against the
correct `fetch_all` fails (or errors, or times out) against it.

Requirements:
- 1: every test (and the no_leaked_tasks fixture) passes on the correct fetch_all
  -> test_your_tests_pass_on_the_correct_fetch_all
- 2: the order of the pages is checked -> test_catches_pages_in_completion_order
- 3: the peak is compared with the limit itself -> test_catches_an_ignored_limit, test_catches_a_limit_one_too_high
- 4: the limit is shown filled -> test_catches_sequential_fetching, test_catches_a_limit_never_filled
- 5: the FetchError itself is expected -> test_catches_a_wrapped_error
- 5: no task is left running after a failure (the fixture on the test's loop)
  -> test_catches_fetches_left_running_after_a_failure
- 6: the cancellation must come back out -> test_catches_swallowed_cancellation
"""

from __future__ import annotations

import ast
import inspect
import os
import subprocess
import sys
import tempfile
import textwrap
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from katagrader import learner_module

limiter = learner_module("limiter_tests")

MODULE_FILE = "limiter_tests.py"
# Each of the learner's tests gets this long (pytest-timeout in the subprocess); a test
# that hangs against a broken copy has caught it, but it costs time.
TEST_SECONDS = 2
# One whole run of the learner's file.
RUN_SECONDS = 15
PYTEST_INI = """\
[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
asyncio_default_test_loop_scope = function
filterwarnings =
    error::RuntimeWarning
    error::pytest.PytestUnraisableExceptionWarning
"""


@dataclass(frozen=True)
class Mutant:
    """A broken copy of fetch_all and what a test needs to do to notice it."""

    what: str
    catch_it: str
    source: str


MUTANTS = {
    "completion_order": Mutant(
        what="returns the pages in the order they finished, not in the order of `urls`",
        catch_it=(
            "Step 2: compare the whole list, in order, with `[PAGES[u] for u in PAGE_URLS]` "
            "(not sorted, not as a set), using pages that finish in a different order than "
            "they were asked for (DELAYS does that)."
        ),
        source="""
            async def fetch_all(fetch, urls, limit):
                import asyncio as _asyncio

                if limit < 1:
                    raise ValueError(f"limit must be at least 1, not {limit}")
                semaphore = _asyncio.Semaphore(limit)

                async def fetch_one(url):
                    async with semaphore:
                        return await fetch(url)

                tasks = [_asyncio.create_task(fetch_one(url)) for url in urls]
                try:
                    return [await next_done for next_done in _asyncio.as_completed(tasks)]
                finally:
                    for task in tasks:
                        task.cancel()
                    await _asyncio.gather(*tasks, return_exceptions=True)
        """,
    ),
    "ignores_the_limit": Mutant(
        what="starts every fetch at once, ignoring `limit`",
        catch_it=(
            "Step 3: the pages are right either way, so checking the result cannot tell. "
            "After the call, assert `site.peak <= limit` (the fake counts fetches in flight)."
        ),
        source="""
            async def fetch_all(fetch, urls, limit):
                import asyncio as _asyncio

                if limit < 1:
                    raise ValueError(f"limit must be at least 1, not {limit}")
                tasks = [_asyncio.create_task(fetch(url)) for url in urls]
                try:
                    return list(await _asyncio.gather(*tasks))
                finally:
                    for task in tasks:
                        task.cancel()
                    await _asyncio.gather(*tasks, return_exceptions=True)
        """,
    ),
    "one_over_the_limit": Mutant(
        what="lets one fetch more than `limit` run at once (Semaphore(limit + 1))",
        catch_it=(
            "Step 3: compare the peak with the limit itself, `assert site.peak <= 3` for "
            "limit=3, not with something looser (the number of pages, say)."
        ),
        source="""
            async def fetch_all(fetch, urls, limit):
                import asyncio as _asyncio

                if limit < 1:
                    raise ValueError(f"limit must be at least 1, not {limit}")
                semaphore = _asyncio.Semaphore(limit + 1)

                async def fetch_one(url):
                    async with semaphore:
                        return await fetch(url)

                tasks = [_asyncio.create_task(fetch_one(url)) for url in urls]
                try:
                    return list(await _asyncio.gather(*tasks))
                finally:
                    for task in tasks:
                        task.cancel()
                    await _asyncio.gather(*tasks, return_exceptions=True)
        """,
    ),
    "one_short_of_the_limit": Mutant(
        what="never runs more than `limit - 1` fetches at once (Semaphore(limit - 1))",
        catch_it=(
            "Step 4: wait until exactly `limit` fetches are in flight "
            "(`await site.until_in_flight(3)` for limit=3, under a timeout), or assert "
            "`site.peak == 3` afterwards: 'more than one' does not prove the limit is filled."
        ),
        source="""
            async def fetch_all(fetch, urls, limit):
                import asyncio as _asyncio

                if limit < 1:
                    raise ValueError(f"limit must be at least 1, not {limit}")
                semaphore = _asyncio.Semaphore(max(1, limit - 1))

                async def fetch_one(url):
                    async with semaphore:
                        return await fetch(url)

                tasks = [_asyncio.create_task(fetch_one(url)) for url in urls]
                try:
                    return list(await _asyncio.gather(*tasks))
                finally:
                    for task in tasks:
                        task.cancel()
                    await _asyncio.gather(*tasks, return_exceptions=True)
        """,
    ),
    "raises_an_exception_group": Mutant(
        what=(
            "raises an ExceptionGroup wrapping the FetchError (a TaskGroup's error, never "
            "unwrapped) instead of the FetchError itself"
        ),
        catch_it=(
            "Step 5: assert the very error, `with pytest.raises(FetchError):`, not any "
            "exception (`pytest.raises(Exception)` accepts an ExceptionGroup too)."
        ),
        source="""
            async def fetch_all(fetch, urls, limit):
                import asyncio as _asyncio

                if limit < 1:
                    raise ValueError(f"limit must be at least 1, not {limit}")
                semaphore = _asyncio.Semaphore(limit)

                async def fetch_one(url):
                    async with semaphore:
                        return await fetch(url)

                async with _asyncio.TaskGroup() as group:
                    tasks = [group.create_task(fetch_one(url)) for url in urls]
                return [task.result() for task in tasks]
        """,
    ),
    "sequential": Mutant(
        what="fetches one page after another (right pages, never more than one in flight)",
        catch_it=(
            "Step 4: start fetch_all as a task, then `await site.until_in_flight(limit)` "
            "under `asyncio.timeout(1)`: one-at-a-time fetching never gets there. (Or assert "
            "`site.peak == limit` afterwards.)"
        ),
        source="""
            async def fetch_all(fetch, urls, limit):
                if limit < 1:
                    raise ValueError(f"limit must be at least 1, not {limit}")
                return [await fetch(url) for url in urls]
        """,
    ),
    "leaks_on_failure": Mutant(
        what="raises the FetchError but leaves the other fetches running in the background",
        catch_it=(
            "Steps 1 and 5: fetch a broken page together with one that is still in flight "
            "when it fails (HANGING_URL), and request the `no_leaked_tasks` fixture, whose "
            "`no_task_leaks(action='raise')` must run on the test's own loop. Without a leak "
            "check pytest-asyncio quietly cancels the leftover task when the loop closes, and "
            "the test passes."
        ),
        source="""
            async def fetch_all(fetch, urls, limit):
                import asyncio as _asyncio

                if limit < 1:
                    raise ValueError(f"limit must be at least 1, not {limit}")
                semaphore = _asyncio.Semaphore(limit)

                async def fetch_one(url):
                    async with semaphore:
                        return await fetch(url)

                tasks = [_asyncio.create_task(fetch_one(url)) for url in urls]
                return list(await _asyncio.gather(*tasks))
        """,
    ),
    "swallows_cancellation": Mutant(
        what=(
            "catches its own cancellation, cancels its fetches and returns the pages it "
            "has so far instead of ending cancelled"
        ),
        catch_it=(
            "Step 6: start fetch_all as a task on HANGING_URL, wait until it is fetching, "
            "`task.cancel()`, then `with pytest.raises(asyncio.CancelledError): await task`. "
            "Checking only that the fetches were cancelled is not enough: this copy cancels "
            "them too."
        ),
        source="""
            async def fetch_all(fetch, urls, limit):
                import asyncio as _asyncio

                if limit < 1:
                    raise ValueError(f"limit must be at least 1, not {limit}")
                semaphore = _asyncio.Semaphore(limit)

                async def fetch_one(url):
                    async with semaphore:
                        return await fetch(url)

                tasks = [_asyncio.create_task(fetch_one(url)) for url in urls]
                try:
                    return list(await _asyncio.gather(*tasks))
                except _asyncio.CancelledError:
                    # "shut down gracefully": hand back what we have
                    for task in tasks:
                        task.cancel()
                    await _asyncio.gather(*tasks, return_exceptions=True)
                    return [t.result() for t in tasks if not t.cancelled() and t.exception() is None]
                except BaseException:
                    for task in tasks:
                        task.cancel()
                    await _asyncio.gather(*tasks, return_exceptions=True)
                    raise
        """,
    ),
}


@dataclass
class SuiteRun:
    """The outcome of one run of the learner's tests: test name -> passed/failed/..."""

    label: str
    outcomes: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    problem: str = ""  # the run itself went wrong (no report, timeout)
    output: str = ""

    def passed(self) -> set[str]:
        return {name for name, outcome in self.outcomes.items() if outcome == "passed"}

    def describe_failures(self, names: set[str] | None = None) -> str:
        lines = []
        for name, outcome in sorted(self.outcomes.items()):
            if outcome != "passed" and (names is None or name in names):
                message = self.messages.get(name, "").strip().splitlines()
                first = message[0][:300] if message else ""
                lines.append(f"  - {name}: {outcome}" + (f": {first}" if first else ""))
        return "\n".join(lines)


_correct_run: SuiteRun | None = None


def _is_unstarted(node: ast.AST) -> bool:
    """A function whose body (after its docstring) is only `raise NotImplementedError(...)`."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc
    target = exc.func if isinstance(exc, ast.Call) else exc
    return isinstance(target, ast.Name) and target.id == "NotImplementedError"


def require_started(first: str = "") -> None:
    """Raise the NotImplementedError of a test or fixture still left as in the stub (the
    one named `first` if it is one of them).

    Only a function whose whole body is that `raise` is called, so calling it (with None
    for each argument) does nothing else.
    """
    module = limiter.load()
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    unstarted = [node for node in tree.body if _is_unstarted(node)]
    unstarted.sort(key=lambda node: getattr(node, "name", "") != first)
    for node in unstarted:
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        defined = getattr(module, node.name, None)
        if not callable(defined):
            continue
        function: Any = inspect.unwrap(defined)  # a fixture wraps the function
        code = getattr(function, "__code__", None)
        lines = {node.lineno, *(d.lineno for d in node.decorator_list)}
        if code is None or code.co_firstlineno not in lines:
            continue  # the name was redefined further down the file: not this function
        arguments = [None] * len(inspect.signature(function).parameters)
        result = function(*arguments)
        if inspect.iscoroutine(result):
            try:
                result.send(None)  # runs the body: the raise
            finally:
                result.close()


def _run_suite(label: str, mutant: Mutant | None) -> SuiteRun:
    """Run the learner's tests in a subprocess, with `mutant` laid over fetch_all."""
    run = SuiteRun(label)
    source = Path(limiter.load().__file__).read_text(encoding="utf-8")
    if mutant is not None:
        source += (
            "\n\n# ---- the grader's broken fetch_all, replacing the correct one ----\n"
            + textwrap.dedent(mutant.source)
        )
    with tempfile.TemporaryDirectory(prefix="kata27-") as scratch:
        folder = Path(scratch)
        (folder / MODULE_FILE).write_text(source, encoding="utf-8")
        (folder / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
        report = folder / "report.xml"
        command = [
            sys.executable,
            "-m",
            "pytest",
            MODULE_FILE,
            "-c",
            "pytest.ini",
            "--rootdir",
            ".",
            "--noconftest",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--timeout={TEST_SECONDS}",
            f"--junit-xml={report}",
        ]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("KATA_TARGET", None)
        try:
            completed = subprocess.run(
                command,
                cwd=folder,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=RUN_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as expired:
            run.problem = f"the whole run took longer than {RUN_SECONDS} s and was stopped"
            run.output = str(expired.stdout or "")[-2000:]
            return run
        run.output = (completed.stdout + completed.stderr)[-3000:]
        if not report.is_file():
            run.problem = f"pytest wrote no report (exit code {completed.returncode})"
            return run
        _read_junit(report, run)
    return run


def _read_junit(report: Path, run: SuiteRun) -> None:
    root = ElementTree.parse(report).getroot()
    for case in root.iter("testcase"):
        name = case.get("name", "?")
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
                run.messages[name] = child.get("message", "")
                break
        if run.outcomes.get(name, "passed") == "passed":  # a teardown error comes second
            run.outcomes[name] = outcome


def correct_run() -> SuiteRun:
    global _correct_run
    if _correct_run is None:
        _correct_run = _run_suite("the correct fetch_all", None)
    return _correct_run


def assert_caught(name: str) -> None:
    """At least one test that passes against the correct fetch_all fails against `name`."""
    mutant = MUTANTS[name]
    correct = correct_run()
    run = _run_suite(name, mutant)
    good = correct.passed()
    assert good, (
        f"None of your tests passes against the correct fetch_all, so none of them can show "
        f"that a broken one is broken. Fix them first (see "
        f"test_your_tests_pass_on_the_correct_fetch_all).\n{correct.describe_failures()}"
        + (f"\n{correct.problem}" if correct.problem else "")
    )
    if run.problem:
        # The run blew up (a hang, a crash): the mutant was noticed, if not gracefully.
        return
    caught = {t for t in good if run.outcomes.get(t, "missing") != "passed"}
    not_counted = ""
    if correct.outcomes and good != set(correct.outcomes):
        not_counted = (
            "\n(Tests that fail against the correct fetch_all do not count: "
            f"{', '.join(sorted(set(correct.outcomes) - good))}.)"
        )
    assert caught, (
        f"Ran your tests against a broken fetch_all that {mutant.what}: all "
        f"{len(run.passed() & good)} of them passed, so none of them noticed the bug. "
        f"Expected at least one to fail.{not_counted}\n"
        f"How to catch it: {mutant.catch_it}\n"
        "A test catches a bug only if it asserts something that bug changes."
    )


@pytest.mark.task(1)
@pytest.mark.timeout(35)
def test_your_tests_pass_on_the_correct_fetch_all() -> None:
    """Every test in limiter_tests.py passes against the correct fetch_all."""
    require_started("no_leaked_tasks")
    run = correct_run()
    assert not run.problem, (
        f"Running `pytest {MODULE_FILE}` against the correct fetch_all failed: {run.problem}.\n"
        f"Output:\n{run.output}"
    )
    assert run.outcomes, (
        f"`pytest {MODULE_FILE}` collected no test. Keep the test functions of the stub "
        f"(async def test_...) at the top level of the file.\nOutput:\n{run.output}"
    )
    failing = {t for t, outcome in run.outcomes.items() if outcome != "passed"}
    assert not failing, (
        f"Ran your tests against the correct fetch_all: {len(failing)} of {len(run.outcomes)} "
        f"did not pass:\n{run.describe_failures()}\n"
        "A test that fails on correct code reports bugs that are not there (and catches "
        "nothing). Is the expectation right? Does it wait for a state (until_in_flight) rather "
        "than for a guessed time? Async fixtures need @pytest_asyncio.fixture and async tests "
        "the asyncio mark: the grader runs pytest-asyncio in strict mode."
    )


@pytest.mark.task(2)
@pytest.mark.timeout(35)
def test_catches_pages_in_completion_order() -> None:
    """A fetch_all that returns pages in the order they finished fails one of the tests."""
    require_started("test_returns_pages_in_input_order")
    assert_caught("completion_order")


@pytest.mark.task(3)
@pytest.mark.timeout(35)
def test_catches_an_ignored_limit() -> None:
    """A fetch_all that starts every fetch at once fails one of the tests."""
    require_started("test_never_exceeds_the_limit")
    assert_caught("ignores_the_limit")


@pytest.mark.task(3)
@pytest.mark.timeout(35)
def test_catches_a_limit_one_too_high() -> None:
    """A fetch_all that runs limit + 1 fetches at once fails one of the tests."""
    require_started("test_never_exceeds_the_limit")
    assert_caught("one_over_the_limit")


@pytest.mark.task(4)
@pytest.mark.timeout(35)
def test_catches_a_limit_never_filled() -> None:
    """A fetch_all that never runs more than limit - 1 fetches at once fails one of the tests."""
    require_started("test_fills_the_limit")
    assert_caught("one_short_of_the_limit")


@pytest.mark.task(5)
@pytest.mark.timeout(35)
def test_catches_a_wrapped_error() -> None:
    """A fetch_all that raises an ExceptionGroup instead of the FetchError fails one of the tests."""
    require_started("test_failure_cancels_the_other_fetches")
    assert_caught("raises_an_exception_group")


@pytest.mark.task(4)
@pytest.mark.timeout(35)
def test_catches_sequential_fetching() -> None:
    """A fetch_all that fetches one page at a time fails one of the tests."""
    require_started("test_fills_the_limit")
    assert_caught("sequential")


@pytest.mark.task(5)
@pytest.mark.timeout(35)
def test_catches_fetches_left_running_after_a_failure() -> None:
    """A fetch_all that leaves its other fetches running after a failure fails one of the tests."""
    require_started("test_failure_cancels_the_other_fetches")
    assert_caught("leaks_on_failure")


@pytest.mark.task(6)
@pytest.mark.timeout(35)
def test_catches_swallowed_cancellation() -> None:
    """A fetch_all that returns normally when cancelled fails one of the tests."""
    require_started("test_cancellation_propagates")
    assert_caught("swallows_cancellation")
