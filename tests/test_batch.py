"""Black-box test of grading a class: submissions made from the solution, the stub and
deliberately hostile code each get the right verdict in bounded time, the batch goes on,
the gradebook is written, and no submission's files change."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from katagrader.report import SCHEMA_PATH
from katagrader.targets import REPO_ROOT

KATA = "03_coroutines"
SOLUTION = (REPO_ROOT / "solutions" / KATA / "dashboard.py").read_text()
STUB = (REPO_ROOT / "exercises" / KATA / "dashboard.py").read_text()

FUTURE = "from __future__ import annotations\n"


def with_prelude(code: str) -> str:
    """The solution with `code` run at import, just after its __future__ import."""
    return SOLUTION.replace(FUTURE, FUTURE + code, 1)


HOSTILE = {
    # A hang in every check: only the kata's time limit ends it.
    "hangs": SOLUTION.replace(
        "    async with asyncio.TaskGroup() as group:",
        "    import time\n    time.sleep(3600)\n    async with asyncio.TaskGroup() as group:",
    ),
    "exits_at_import": with_prelude("import os\nos._exit(0)\n"),
    "skips_its_checks": with_prelude("import pytest\npytest.skip('no', allow_module_level=True)\n"),
    "floods_output": SOLUTION.replace(
        "    async with asyncio.TaskGroup() as group:",
        "    print('spam ' * 400_000)\n    async with asyncio.TaskGroup() as group:",
    ),
    "starts_threads": with_prelude(
        "import threading, time\n"
        "for _ in range(300):\n"
        "    threading.Thread(target=time.sleep, args=(600,)).start()\n"
    ),
    "spawns_processes": with_prelude(
        "import subprocess, sys\n"
        "CHILDREN = [subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])"
        " for _ in range(30)]\n"
    ),
}
EXPECTED = {
    "solution": "passed",
    "stub": "not_started",
    "hangs": "crashed",
    "exits_at_import": "crashed",
    "skips_its_checks": "failed",
    "floods_output": "passed",  # printing is not wrong; it must just not break grading
    "starts_threads": "failed",
    "spawns_processes": "passed",  # children are killed with the process group
}


def _children_alive(marker: str) -> int:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return sum(1 for line in ps.splitlines() if marker in line)


@pytest.mark.timeout(300)
def test_a_class_with_hostile_submissions(tmp_path: Path) -> None:
    """Every submission gets its own right verdict; nothing outlives the batch."""
    submissions = tmp_path / "submissions"
    for name, source in {"solution": SOLUTION, "stub": STUB, **HOSTILE}.items():
        (submissions / name / KATA).mkdir(parents=True)
        (submissions / name / KATA / "dashboard.py").write_text(source)
    before = {p: p.read_bytes() for p in submissions.rglob("*") if p.is_file()}
    out = tmp_path / "out"
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "katagrader",
            "grade",
            "03",
            f"--submissions={submissions}",
            f"--out={out}",
            "--seconds=20",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "graders")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    with (out / "gradebook.csv").open() as handle:
        verdicts = {row["submission"]: row["status"] for row in csv.DictReader(handle)}
    assert verdicts == EXPECTED
    book = json.loads((out / "gradebook.json").read_text())
    schema = json.loads(SCHEMA_PATH.read_text())
    for report in book.values():
        jsonschema.validate(report, schema)
    assert not book["skips_its_checks"]["passed"]
    assert {p: p.read_bytes() for p in submissions.rglob("*") if p.is_file()} == before
    assert _children_alive("time.sleep(600)") == 0
    assert elapsed < 200
