"""The pytest plugin of an armed warm child (warm.py): it holds the run just before the
first test until the next grading is asked for, then points the output and the report
where that grading wants them. Everything before (configuring pytest, loading the
plugins, collecting the grader) was done while the learner was still typing; the
learner's own modules are imported only by the tests, so they are read after the save.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from .collector import KataResults
from .warm import GATE_ENV, STALE_EXIT


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    gate = int(os.environ.pop(GATE_ENV))
    with os.fdopen(gate, "r", encoding="utf-8") as stream:
        line = stream.readline()
    if not line:  # end of file: this child is not needed any more
        os._exit(0)
    request = json.loads(line)
    if any(name.startswith("_kata_") for name in sys.modules):
        # A grader read the learner's module while being collected, before the save:
        # this child would grade the old file. The server grades in a fresh child instead.
        os._exit(STALE_EXIT)
    output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    # The learner's files are compiled afresh, never read from the bytecode cache: its
    # check is by size and mtime in whole seconds, and two saves within a second that keep
    # the size would otherwise grade the older one.
    sys.pycache_prefix = os.path.join(os.path.dirname(request["report"]), "bytecode")
    sys.dont_write_bytecode = True
    results = session.config.pluginmanager.get_plugin("kata-results")
    assert isinstance(results, KataResults)
    results.path = request["report"]
    results._write(complete=False)  # the collected count, as a spawned run writes it
