"""Black-box tests of grading a class, run as a dishonest student would (issue 12).

One batch grades kata 03 for two honest students (the solution, the stub) among every
attack in tests/hostile/ and the careless submissions of old (hangs, exits, floods,
threads, processes). Each test below checks one class of attack on that batch's
results: forged passes never pass, nobody changes anyone else's verdict or files, the
checkout and its bytecode cache are untouched, the batch always writes its gradebook,
learner text cannot break an output, and no process outlives the batch. Every attack
writes a MARK unique to the run into whatever it manages to touch.

These tests need bubblewrap (`apt-get install bubblewrap`; CI installs it in .ci/run).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from katagrader import sandbox
from katagrader.integrity import scan_tree
from katagrader.report import SCHEMA_PATH
from katagrader.targets import REPO_ROOT

KATA = "03_coroutines"
CHECKS = 5  # tests in graders/03_coroutines
SOLUTION = (REPO_ROOT / "solutions" / KATA / "dashboard.py").read_text()
STUB = (REPO_ROOT / "exercises" / KATA / "dashboard.py").read_text()
HOSTILE_DIR = Path(__file__).with_name("hostile")
FUTURE = "from __future__ import annotations\n"
SEQUENTIAL = re.sub(
    r"    async with asyncio\.TaskGroup\(\) as group:\n.*?recommendations\.result\(\)\)",
    "    profile = await services.fetch_profile(user_id)\n"
    "    orders = await services.fetch_orders(user_id)\n"
    "    recommendations = await services.fetch_recommendations(user_id)\n"
    "    return Dashboard(user_id, profile, orders, recommendations)",
    SOLUTION,
    flags=re.DOTALL,
)
BASES = {"stub": STUB, "solution": SOLUTION, "sequential": SEQUENTIAL}
TASKGROUP = "    async with asyncio.TaskGroup() as group:"
CARELESS = {
    "careless_hangs": SOLUTION.replace(
        TASKGROUP, "    import time\n    time.sleep(3600)\n" + TASKGROUP
    ),
    "careless_exits_at_import": SOLUTION + "\nimport os\nos._exit(0)\n",
    "careless_skips_its_checks": SOLUTION
    + "\nimport pytest\npytest.skip('no', allow_module_level=True)\n",
    "careless_floods_2mb": SOLUTION.replace(
        TASKGROUP, "    print('spam ' * 400_000)\n" + TASKGROUP
    ),
    "careless_starts_threads": SOLUTION + "\nimport threading, time\nfor _ in range(100):\n"
    "    threading.Thread(target=time.sleep, args=(600,)).start()\n",
    "careless_spawns_processes": SOLUTION + "\nimport subprocess, sys\n"
    "CHILDREN = [subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])"
    " for _ in range(30)]\n",
}
CARELESS_EXPECTED: dict[str, str | set[str]] = {
    "careless_hangs": {"failed", "crashed"},  # a blocked loop, or the kata's time limit
    "careless_exits_at_import": "crashed",
    "careless_skips_its_checks": "failed",
    "careless_floods_2mb": "passed",  # printing is not wrong; it must just not break grading
    # Threads started at import: whether they count as the test's leak is the engine's
    # rule (plugin.py, leaks.py), which moves; the batch must only never crash on them.
    "careless_starts_threads": {"failed", "passed"},
    "careless_spawns_processes": "passed",  # its children die with the run's PID namespace
}
HONEST = {"honest_solution": "passed", "honest_stub": "not_started"}
# A folder name built to break a CSV (a formula), HTML and Markdown.
NASTY_NAME = "=HYPERLINK(x)|<b>student"
NEVER = {"passed"}

_NO_SANDBOX = sandbox.probe()
pytestmark = [
    pytest.mark.skipif(_NO_SANDBOX is not None, reason=f"no working sandbox: {_NO_SANDBOX}"),
    pytest.mark.timeout(400),  # the class batch is graded in a module fixture
]


def attack_source(path: Path, mark: str, places: dict[str, str]) -> str:
    code = path.read_text()
    base = re.match(r"# base: (\w+)", code)
    assert base, f"{path.name} must start with '# base: stub|solution|sequential'"
    for word, value in {"MARK": mark, **places}.items():
        code = re.sub(rf"\b{word}\b", value, code)
    return BASES[base[1]] + "\n\n" + code


@dataclass
class ClassRun:
    submissions: Path
    out: Path
    mark: str
    returncode: int
    stdout: str
    stderr: str
    elapsed: float
    before: dict[Path, bytes]
    after: dict[Path, bytes]
    statuses: dict[str, str]
    rows: dict[str, dict[str, str]]
    book: dict[str, Any]
    summary: str
    started: float
    ps_after: str
    gradebook_after: bytes
    gradebook_later: bytes


def _snapshot(root: Path) -> dict[Path, bytes]:
    return {
        p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()
    }


def _add_odd_files(folder: Path) -> None:
    """A FIFO, a socket, a symbolic link and a device in an otherwise honest submission."""
    os.mkfifo(folder / "a_fifo")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "a_socket"))
    server.close()
    (folder / "a_link").symlink_to("/etc/passwd")
    try:
        os.mknod(folder / "a_device", 0o600 | 0o020000, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        pass
    (folder / "huge.bin").write_bytes(b"x" * (6 * 1024 * 1024))  # over the 5 MB file cap


def _grade(
    args: list[str], env: dict[str, str] | None = None, timeout: float = 400
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "katagrader", "grade", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "graders"), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def class_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClassRun]:
    root = tmp_path_factory.mktemp("class")
    submissions = root / "submissions"
    out = root / "out"
    mark = f"MARK{uuid.uuid4().hex}"
    places = {"REPO": str(REPO_ROOT), "SUBMISSIONS": str(submissions), "OUT": str(out)}
    sources = {name: BASES[name.split("_", 1)[1]] for name in HONEST}
    sources.update(CARELESS)
    for attack in sorted(HOSTILE_DIR.glob("*.attack")):
        sources[attack.stem] = attack_source(attack, mark, places)
    sources["odd_files"] = SOLUTION
    sources[NASTY_NAME] = attack_source(HOSTILE_DIR / "surrogate_message.attack", mark, places)
    for name, source in sources.items():
        (submissions / name / KATA).mkdir(parents=True)
        (submissions / name / KATA / "dashboard.py").write_text(source)
    _add_odd_files(submissions / "odd_files" / KATA)
    before = _snapshot(submissions)
    summary = root / "step-summary.md"
    started = time.time()
    t0 = time.monotonic()
    done = _grade(
        [
            "03",
            f"--submissions={submissions}",
            f"--out={out}",
            "--seconds=15",
            "--jobs=2",
            f"--report={root / 'class.json'}",
            f"--junit={root / 'class.xml'}",
        ],
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    elapsed = time.monotonic() - t0
    ps_after = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    gradebook_after = (
        (out / "gradebook.csv").read_bytes() if (out / "gradebook.csv").exists() else b""
    )
    time.sleep(2)  # a daemon that survived would edit the gradebook every 0.5 s
    with (out / "gradebook.csv").open(newline="", encoding="utf-8") as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    yield ClassRun(
        submissions=submissions,
        out=out,
        mark=mark,
        returncode=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
        elapsed=elapsed,
        before=before,
        after=_snapshot(submissions),
        statuses={name.lstrip("'"): row["status"] for name, row in rows.items()},
        rows={name.lstrip("'"): row for name, row in rows.items()},
        book=json.loads((out / "gradebook.json").read_text(encoding="utf-8")),
        summary=summary.read_text(encoding="utf-8"),
        started=started,
        ps_after=ps_after,
        gradebook_after=gradebook_after,
        gradebook_later=(out / "gradebook.csv").read_bytes(),
    )


def _names(prefix: str) -> list[str]:
    return sorted(p.stem for p in HOSTILE_DIR.glob(f"{prefix}*.attack"))


def test_the_batch_completes_and_writes_its_gradebook(class_run: ClassRun) -> None:
    """Whatever the submissions do, the batch ends with exit 0, in bounded time, and writes
    every gradebook file, with a row for every submission."""
    assert class_run.returncode == 0, class_run.stderr
    for name in ("gradebook.csv", "students.csv", "katas.csv", "gradebook.json", "gradebook.html"):
        assert (class_run.out / name).is_file(), name
    assert len(class_run.statuses) == len(list(class_run.submissions.iterdir()))
    assert class_run.book["sandbox"] == "bubblewrap sandbox"
    assert class_run.elapsed < 240


def test_forged_passes_are_never_passed(class_run: ClassRun) -> None:
    """Each forgery (patched reports, rewritten collector, a plugin of its own, a report
    written at the argv path, the solution read from disk, a patched sleep, stack
    inspection) ends suspect, failed, crashed or not started: never passed."""
    forgeries = _names("forge_")
    assert len(forgeries) >= 8
    for name in forgeries:
        assert class_run.statuses[name] in ("suspect", "failed", "crashed", "not_started"), name


def test_in_process_forgery_is_made_evident(class_run: ClassRun) -> None:
    """A forgery from inside the grading process is `suspect` with evidence: the canary that
    "passed" and the scan's finding, by file and line."""
    for name in (
        "forge_patch_testreport",
        "forge_patch_through_pytest",
        "forge_gc_collector",
        "forge_plugin_on_config",
    ):
        row = class_run.rows[name]
        assert row["status"] == "suspect", (name, row)
        assert "must fail but its report says" in row["evidence"], row["evidence"]
        assert re.search(r"03_coroutines/dashboard\.py, line \d+: (imports|uses)", row["evidence"])
    stack = class_run.rows["forge_stack_inspection"]
    assert stack["status"] == "suspect"
    assert "imports inspect" in stack["evidence"]


def test_a_forged_report_file_is_not_a_pass(class_run: ClassRun) -> None:
    """A report written at the --kata-report path, then os._exit(0): the canaries are missing
    and the exit code is not pytest's, so it is suspect; one of the wrong types is a crash."""
    row = class_run.rows["forge_writes_report"]
    assert row["status"] == "suspect"
    assert "no record at all" in row["evidence"] or "exited with" in row["evidence"]
    bad = class_run.rows["forge_bad_types"]
    assert bad["status"] == "crashed"
    assert "malformed" in bad["reasons"]
    assert bad["checks"] == str(CHECKS)  # a crashed kata still shows its checks


def test_a_report_that_would_block_or_crash_the_batch_is_a_crash(class_run: ClassRun) -> None:
    """A report replaced by a FIFO (reading it blocks), by a link to an endless file, or
    nested 200,000 levels deep: the kata is crashed and the batch goes on."""
    for name in _names("report_"):
        assert class_run.statuses[name] == "crashed", (name, class_run.rows[name])


def test_the_solutions_cannot_be_read(class_run: ClassRun) -> None:
    """solutions/ is not in the sandbox: the stub that tries to exec the reference answer
    stays not started (and the scan names the exec)."""
    row = class_run.rows["forge_reads_solution"]
    assert row["status"] == "not_started", row
    assert "calls exec()" in row["evidence"]


def test_honest_students_are_unaffected(class_run: ClassRun) -> None:
    """Between every attack, the honest solution passes, the stub is not started, and the
    careless submissions get the verdicts they always got."""
    for name, expected in {**HONEST, **CARELESS_EXPECTED}.items():
        allowed = expected if isinstance(expected, set) else {expected}
        assert class_run.statuses[name] in allowed, (name, class_run.rows[name])
    assert class_run.rows["honest_solution"]["checks_passed"] == str(CHECKS)
    assert class_run.rows["honest_solution"]["evidence"] == ""


def test_no_submission_changes_any_files(class_run: ClassRun) -> None:
    """Every submission's original files are byte-identical after the batch (the attacks on
    siblings' copies, on the originals through /proc, and everything else)."""
    assert class_run.after == class_run.before


def test_the_checkout_and_its_bytecode_cache_are_unchanged(class_run: ClassRun) -> None:
    """No file of the checkout (graders, engine, venvs, .katas/pycache) holds the MARK, no
    sitecustomize appeared, and a later single-kata run of an untouched stub is still
    "not started"."""
    marked = []
    for folder, _dirs, files in os.walk(REPO_ROOT):
        if "/.git" in folder:
            continue
        for name in files:
            path = Path(folder) / name
            try:
                if (
                    path.stat().st_mtime >= class_run.started - 1
                    and class_run.mark.encode() in path.read_bytes()
                ):
                    marked.append(path)
            except OSError:
                continue
    assert marked == []
    assert not (REPO_ROOT / "graders" / "sitecustomize.py").exists()
    later = _grade(["03", "--target", str(REPO_ROOT / "exercises")])
    assert "TODO  03_coroutines" in later.stdout or "not started" in later.stdout, later.stdout


def test_no_process_outlives_the_batch(class_run: ClassRun) -> None:
    """No daemon, fork-bomb child, thread holder or SIGTERM-ignoring process of any
    submission is left once the batch has returned, and nothing edited the gradebook
    after it was written (the CSV and the JSON agree)."""
    leftovers = [
        line
        for line in class_run.ps_after.splitlines()
        if class_run.mark in line or "/kata/submission" in line or "time.sleep(600)" in line
    ]
    assert leftovers == []
    assert class_run.gradebook_later == class_run.gradebook_after
    assert not class_run.gradebook_later.endswith(class_run.mark.encode())
    for name, student in class_run.book["students"].items():
        (kata,) = student["report"]["katas"]
        assert kata["status"] == class_run.statuses[name.lstrip("'")], name


def test_tampering_attempts_do_not_pass(class_run: ClassRun) -> None:
    """Attacks on others whose own answer is correct pass only as `suspect`: the scan names
    the /proc walk, the kill, the daemon, the fork and the paths outside."""
    for name in [*_names("tamper_"), "daemon_edits_gradebook", "fork_bomb"]:
        row = class_run.rows[name]
        assert row["status"] in ("suspect", "failed", "crashed"), (name, row)
        assert row["evidence"], name


def test_odd_files_are_skipped_with_a_note(class_run: ClassRun) -> None:
    """A FIFO, a socket, a symbolic link and a device are left out with a note; the
    submission is graded on its regular files."""
    assert class_run.statuses["odd_files"] == "passed"
    notes = class_run.book["students"]["odd_files"]["notes"]
    text = " ".join(notes)
    for kind in ("a FIFO", "a socket", "a symbolic link", "huge.bin: left out, 6291456 bytes"):
        assert kind in text, notes


def test_learner_text_cannot_break_an_output(class_run: ClassRun) -> None:
    """A lone surrogate, control characters, HTML and Markdown in a message, and a folder
    name made to be a spreadsheet formula: every output stays valid and escaped."""
    row = class_run.rows[NASTY_NAME]
    assert row["status"] == "failed"
    assert "\\ud800" in row["reasons"] and "\x1b" not in row["reasons"]
    with (class_run.out / "gradebook.csv").open(newline="", encoding="utf-8") as handle:
        names = [r["submission"] for r in csv.DictReader(handle)]
    assert f"'{NASTY_NAME}" in names  # a spreadsheet shows it as text
    html = (class_run.out / "gradebook.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "<b>student" not in html
    assert "&lt;script&gt;" in html
    tree = ET.parse(class_run.out.parent / "class.xml")  # well-formed, or this raises
    assert tree.getroot().tag == "testsuites"
    assert "<script>" not in class_run.summary and "<b>" not in class_run.summary
    assert "\\|" in class_run.summary
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.validate(json.loads((class_run.out.parent / "class.json").read_text()), schema)
    jsonschema.validate(class_run.book, schema)


def test_output_is_capped(class_run: ClassRun) -> None:
    """300 MB of output is cut at the cap: the run ends early with evidence and no pass."""
    row = class_run.rows["floods_300mb"]
    assert row["status"] in ("crashed", "failed"), row
    assert "cap" in row["evidence"]


def test_gradebook_totals_rates_and_reasons(class_run: ClassRun) -> None:
    """Per-student totals, the kata's pass rate and most common reasons; reasons are one
    sentence with paths relative to the submission."""
    with (class_run.out / "students.csv").open(newline="", encoding="utf-8") as handle:
        students = {r["submission"]: r for r in csv.DictReader(handle)}
    assert students["honest_solution"]["passed"] == "1"
    assert students["honest_stub"]["not_started"] == "1"
    with (class_run.out / "katas.csv").open(newline="", encoding="utf-8") as handle:
        (kata,) = list(csv.DictReader(handle))
    passed = sum(1 for s in class_run.statuses.values() if s == "passed")
    assert kata["pass_rate"] == f"{passed / len(class_run.statuses):.2f}"
    assert kata["common_reasons"]
    for row in class_run.rows.values():
        assert row["checks"] == str(CHECKS), row
        for reason in row["reasons"].split(" | "):
            assert len(reason) <= 260, reason
        assert "/kata/" not in row["reasons"] and "katas-batch-" not in row["reasons"]
    stub = class_run.rows["honest_stub"]["reasons"]
    assert "03_coroutines/dashboard.py" in stub and str(REPO_ROOT) not in stub


def test_reference_solutions_pass_the_integrity_scan() -> None:
    """No construct the scan flags appears in any reference solution or stub: an honest
    answer is never suspect for being written the usual way."""
    assert scan_tree(REPO_ROOT / "solutions") == []
    assert scan_tree(REPO_ROOT / "exercises") == []


def _one_submission(tmp_path: Path) -> Path:
    submissions = tmp_path / "submissions"
    (submissions / "one" / KATA).mkdir(parents=True)
    (submissions / "one" / KATA / "dashboard.py").write_text(SOLUTION)
    return submissions


def test_gradescope_is_refused_for_a_class(tmp_path: Path) -> None:
    """--gradescope with --submissions is refused with a sentence, before any grading."""
    done = _grade(["03", f"--submissions={_one_submission(tmp_path)}", "--gradescope=g.json"])
    assert done.returncode == 2
    assert "--gradescope is not written for a class" in done.stderr
    assert not (tmp_path / "g.json").exists()


def test_no_sandbox_is_refused_unless_asked_for(tmp_path: Path) -> None:
    """Without bwrap on PATH class mode refuses, saying why; with --no-sandbox it grades and
    the gradebook records the mode."""
    submissions = _one_submission(tmp_path)
    no_bwrap = {"PATH": str(tmp_path / "empty-path")}
    refused = _grade(["03", f"--submissions={submissions}", f"--out={tmp_path / 'a'}"], no_bwrap)
    assert refused.returncode == 2
    assert "bubblewrap (bwrap) is not installed" in refused.stderr
    assert "--no-sandbox" in refused.stderr
    assert not (tmp_path / "a").exists()
    done = _grade(
        ["03", f"--submissions={submissions}", f"--out={tmp_path / 'b'}", "--no-sandbox"],
        no_bwrap,
    )
    assert done.returncode == 0, done.stderr
    book = json.loads((tmp_path / "b" / "gradebook.json").read_text())
    assert book["sandbox"] == "no sandbox (--no-sandbox)"
    assert book["students"]["one"]["report"]["katas"][0]["status"] == "passed"


def test_single_kata_grading_survives_nasty_text(tmp_path: Path) -> None:
    """Grading one's own work is unsandboxed but crash-proof: a lone surrogate and control
    characters in a message still give a verdict, well-formed JUnit and valid JSON."""
    target = tmp_path / "mine"
    (target / KATA).mkdir(parents=True)
    places = {"REPO": str(REPO_ROOT), "SUBMISSIONS": str(tmp_path), "OUT": str(tmp_path)}
    source = attack_source(HOSTILE_DIR / "surrogate_message.attack", "MARKX", places)
    (target / KATA / "dashboard.py").write_text(source)
    summary = tmp_path / "summary.md"
    done = _grade(
        [
            "03",
            "--target",
            str(target),
            f"--junit={tmp_path / 'j.xml'}",
            f"--report={tmp_path / 'r.json'}",
        ],
        {"PYTHONIOENCODING": "utf-8", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "FAIL" in done.stdout and "\\ud800" in done.stdout
    ET.parse(tmp_path / "j.xml")
    table = summary.read_text(encoding="utf-8")  # Markdown: learner text escaped
    assert "03_coroutines" in table
    assert "<script>" not in table and "\x1b" not in table
    jsonschema.validate(
        json.loads((tmp_path / "r.json").read_text()), json.loads(SCHEMA_PATH.read_text())
    )


def test_the_sandbox_hides_what_it_must(tmp_path: Path) -> None:
    """Inside a run: no solutions/, tests/ or exercises/, no network, its own PID namespace,
    a read-only engine, the run folder as the only writable place, /tmp and memory
    capped, and (graded as root) a user id of its own."""
    run = sandbox.RunDirs(tmp_path / "run")
    sandbox.prepare_run_dirs(run, slot=0)
    engine_file = REPO_ROOT / "graders" / "katagrader" / "__init__.py"
    probe = f"""
import os, socket, json
out = {{"repo": sorted(os.listdir({str(REPO_ROOT)!r})),
       "procs": len([p for p in os.listdir("/proc") if p.isdigit()])}}
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2)
    out["net"] = True
except OSError:
    out["net"] = False
try:
    open({str(engine_file)!r}, "a")
    out["engine_writable"] = True
except OSError:
    out["engine_writable"] = False
open("/kata/submission/ok", "w").write("1")
out["uid"] = os.getuid()
try:
    with open("/tmp/big", "wb") as handle:
        for _ in range(80):
            handle.write(b"x" * 1024 * 1024)
    out["tmp_capped"] = False
except OSError:
    out["tmp_capped"] = True
try:
    hog = bytearray(2 * 1024 ** 3)
    out["memory_capped"] = False
except MemoryError:
    out["memory_capped"] = True
print(json.dumps(out))
"""
    command = sandbox.wrap([sys.executable, "-c", probe], run, sandbox.RunLimits(1024))
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert "solutions" not in seen["repo"] and "exercises" not in seen["repo"]
    assert "tests" not in seen["repo"] and ".git" not in seen["repo"]
    assert seen["procs"] <= 4 and seen["net"] is False and seen["engine_writable"] is False
    assert seen["tmp_capped"] and seen["memory_capped"]
    if os.geteuid() == 0:
        assert seen["uid"] == sandbox.run_uid(0)  # never root, never another batch's
    assert (run.target / "ok").read_text() == "1"
    shutil.rmtree(run.root, ignore_errors=True)
