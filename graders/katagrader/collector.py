"""The per-process results file (`--kata-report`), written after every test.

The runner reads it to judge a kata. It is rewritten after each test, so that a process
ended by the hard time limit still leaves the verdicts of the tests before, and the name
of the test that was running (`complete` is false until the session finished).
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import pytest

from .targets import current_target


class KataResults:
    """Collects one record per test outcome, and collection errors."""

    def __init__(self, config: pytest.Config) -> None:
        self.path: str | None = config.getoption("kata_report")
        self.tests: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.collected = 0
        self.running: str | None = None
        self.exitstatus: int | None = None

    def add(self, record: dict[str, Any]) -> None:
        self.tests.append(record)
        self._write(complete=False)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)
        self._write(complete=False)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append({"nodeid": report.nodeid, "message": str(report.longrepr)})

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.running = nodeid
        self._write(complete=False)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.running = None
        self.exitstatus = int(exitstatus)
        self._write(complete=True)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        # With the report written, end the process now: threads a learner left running
        # would otherwise keep the interpreter alive until the runner's time limit.
        if self.path and self.exitstatus is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(self.exitstatus)

    def _write(self, *, complete: bool) -> None:
        if not self.path:
            return
        payload = {
            "complete": complete,
            "target": str(current_target().root),
            "python": platform.python_version(),
            "exitstatus": self.exitstatus,
            "collected": self.collected,
            "running": self.running,
            "tests": self.tests,
            "errors": self.errors,
        }
        temporary = Path(self.path).with_suffix(".tmp")
        temporary.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        temporary.replace(self.path)  # atomic: a kill mid-write leaves the previous report
