"""Grading a whole class: every submission in a folder, every kata, each in its own sandbox.

1. Each submission is copied once into a private scratch folder: regular files only
   (symbolic links, FIFOs, sockets and devices are left out with a note), with caps on
   file size, file count and total size. The originals are never read again.
2. The integrity scan (integrity.py) reads every copy.
3. The reference solutions, trusted code, are graded first (once per engine and graders
   version, kept in .katas/class-cache/): that counts each kata's checks (so a crashed
   kata still shows them) and fills the bytecode cache every run mounts read-only.
4. Every (submission, kata) runs in a bubblewrap sandbox (sandbox.py) over a folder of
   its own: a copy of that one kata folder and its report, with the batch's bytecode
   cache mounted read-only. The run also gets canary checks (canary.py).
5. The run's report is checked (childreport.py), its canaries and the way the process
   ended are compared with what it claims, and the scan's findings are added: any sign
   of tampering makes the run `suspect`, never `passed`.

A problem in one submission (an odd file, a forged report, an exception in this code
while handling it) costs that submission's verdict and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import canary as canaries_
from . import childreport, sandbox
from .integrity import Finding, scan_tree
from .manifest import Kata
from .runner import (
    GRADERS,
    KataResult,
    Status,
    _read_report,
    _run_isolated,
    _tail,
    judge,
    pytest_command,
)
from .sanitize import clean, deep_clean, one_line
from .targets import REPO_ROOT, Target

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
MAX_FILES = 2_000
SANDBOXED = "bubblewrap sandbox"
UNSANDBOXED = "no sandbox (--no-sandbox)"


@dataclass(frozen=True)
class Submission:
    name: str
    path: Path


@dataclass
class Entry:
    """One submission's verdict on one kata, and what the teacher should know about it."""

    submission: str
    result: KataResult
    checks: int  # how many checks the kata's grader has, also when the run crashed
    evidence: list[str] = field(default_factory=list)

    @property
    def status(self) -> Status:
        return self.result.status


@dataclass
class ClassRun:
    submissions: list[Submission]
    katas: list[Kata]
    mode: str
    entries: dict[str, list[Entry]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    duration: float = 0.0


def find_submissions(folder: Path, *, exclude: Sequence[Path] = ()) -> list[Submission]:
    """The submission folders in `folder` (symbolic links and plain files are not)."""
    if not folder.is_dir():
        raise ValueError(f"--submissions {folder} is not a folder of submissions")
    excluded = {p.resolve() for p in exclude}
    found = [
        Submission(p.name, p)
        for p in sorted(folder.iterdir())
        if p.is_dir() and not p.is_symlink() and p.resolve() not in excluded
    ]
    if not found:
        raise ValueError(f"{folder} holds no submission folders (one folder per student)")
    return found


def _private_copy(source: Path, destination: Path) -> list[str]:
    """Copy the regular files of `source`; return a note for everything left out."""
    notes: list[str] = []
    total = 0
    files = 0
    destination.mkdir(parents=True)
    stack = [Path()]
    while stack:
        relative = stack.pop()
        try:
            with os.scandir(source / relative) as listing:
                children = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            notes.append(f"{_shown(relative)}: could not be listed ({exc.strerror})")
            continue
        for child in children:
            path = relative / child.name
            try:
                mode = child.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                notes.append(f"{_shown(path)}: left out ({exc.strerror})")
                continue
            if stat.S_ISDIR(mode):
                (destination / path).mkdir()
                stack.append(path)
                continue
            if not stat.S_ISREG(mode):
                notes.append(f"{_shown(path)}: left out, not a regular file ({_file_kind(mode)})")
                continue
            size = child.stat(follow_symlinks=False).st_size
            if size > MAX_FILE_BYTES:
                notes.append(f"{_shown(path)}: left out, {size} bytes (over {MAX_FILE_BYTES})")
                continue
            if files >= MAX_FILES or total + size > MAX_SUBMISSION_BYTES:
                notes.append(f"{_shown(path)}: left out, the submission is over its size cap")
                continue
            try:
                _copy_regular(source / path, destination / path)
            except OSError as exc:
                notes.append(f"{_shown(path)}: could not be read ({exc.strerror})")
                continue
            files += 1
            total += size
    return notes


def _copy_regular(source: Path, destination: Path) -> None:
    # O_NOFOLLOW and O_NONBLOCK: a file swapped for a link or a FIFO after the check must
    # neither be followed nor block the batch.
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(source, flags)
    with os.fdopen(fd, "rb") as reader:
        if not stat.S_ISREG(os.fstat(reader.fileno()).st_mode):
            raise OSError(0, "not a regular file")
        with destination.open("wb") as writer:
            shutil.copyfileobj(reader, writer, MAX_FILE_BYTES)


def _file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "an unknown kind of file"


def _shown(path: Path) -> str:
    return one_line(path.as_posix() or ".", 120)


CACHE_ROOT = REPO_ROOT / ".katas" / "class-cache"


def _cache_key() -> str:
    """What the warm cache depends on: the interpreter, the venv, the engine, every grader
    and solution (their sizes and times). Katas are warmed as batches first select them."""
    digest = hashlib.sha256(f"{sys.version}\0{sys.prefix}\0{sys.executable}".encode())
    folders = [GRADERS]
    folders += [REPO_ROOT / "solutions"]
    for folder in folders:
        for path in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
            info = path.stat()
            digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    for path in (REPO_ROOT / "pyproject.toml", REPO_ROOT / "requirements" / "constraints.txt"):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def _warm_cache(
    katas: Sequence[Kata], scratch: Path, sandboxed: bool, seconds: float, jobs: int
) -> tuple[dict[str, int], Path]:
    """Each kata's number of checks, and a bytecode cache that every run mounts read-only.

    Both come from grading the reference solutions, trusted code, in the sandbox with the
    cache writable: so the cache holds exactly what grading imports, and no submission
    ever writes to it. It is kept in `.katas/class-cache/<key>` for the next batch with
    the same interpreter, engine and graders; without the sandbox, a private copy is used
    (a submission could write to it then)."""
    key = _cache_key()
    kept = CACHE_ROOT / key
    counts_file = kept / "counts.json"
    counts: dict[str, int] = {}
    if counts_file.is_file():
        try:
            counts = {str(k): int(v) for k, v in json.loads(counts_file.read_text()).items()}
        except (OSError, ValueError, TypeError, AttributeError):
            counts = {}
    missing = [k for k in katas if k.slug not in counts]
    if missing:
        building = scratch / "cache-build"
        if kept.is_dir():
            shutil.copytree(kept / "pycache", building / "pycache")
        (building / "pycache").mkdir(parents=True, exist_ok=True)
        if sandbox._as_root():
            for path in [building, *building.rglob("*")]:
                os.lchown(path, sandbox.run_uid(0), sandbox.run_uid(0))

        def warm(kata: Kata) -> tuple[str, int]:
            run = sandbox.RunDirs(scratch / "warm" / kata.slug)
            solution = REPO_ROOT / "solutions" / kata.slug
            if solution.is_dir():
                shutil.copytree(solution, run.target / kata.slug)
            sandbox.prepare_run_dirs(run, slot=0)
            cache = building / "pycache"
            if sandboxed:
                report = sandbox.INSIDE_REPORT / "report.json"
                inner = pytest_command(kata, Target(sandbox.INSIDE_TARGET), report)
                limits = sandbox.RunLimits(2048)
                command = sandbox.wrap(inner, run, limits, cache=cache, cache_writable=True)
                env: dict[str, str] = {}
            else:
                inner = pytest_command(kata, Target(run.target), run.report / "report.json")
                command, env = inner, {"PYTHONPYCACHEPREFIX": str(cache)}
            _run_isolated(command, scratch / "warm" / f"{kata.slug}.out", seconds, env)
            report_data = _read_report(run.report / "report.json") or {}
            tests = report_data.get("tests") if isinstance(report_data, dict) else None
            calls = [t for t in tests or [] if isinstance(t, dict) and t.get("phase") == "call"]
            return kata.slug, len(calls)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            counts.update(pool.map(warm, [k for k in missing if k.supported_here]))
        (building / "counts.json").write_text(json.dumps(counts), encoding="utf-8")
        if sandboxed:  # keep it for the next batch (a rename: never half-written)
            CACHE_ROOT.mkdir(parents=True, exist_ok=True)
            staged = CACHE_ROOT / f".{key}.{os.getpid()}"
            shutil.copytree(building, staged)
            shutil.rmtree(kept, ignore_errors=True)
            try:
                staged.rename(kept)
            except OSError:
                shutil.rmtree(staged, ignore_errors=True)
            _prune(CACHE_ROOT, keep=kept)
        cache = building / "pycache"
    elif sandboxed:
        cache = kept / "pycache"
    else:
        cache = scratch / "pycache"
        shutil.copytree(kept / "pycache", cache)
    return counts, cache


def _prune(root: Path, keep: Path, newest: int = 3) -> None:
    """Drop all but the newest caches (each engine or grader change makes one)."""
    caches = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in caches[newest:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def grade_submissions(
    submissions: Sequence[Submission],
    katas: Sequence[Kata],
    *,
    jobs: int,
    seconds: float,
    memory_mb: int | None,
    sandboxed: bool = True,
) -> ClassRun:
    """Grade every submission on every kata; never raises for a submission's sake."""
    started = time.monotonic()
    run = ClassRun(list(submissions), list(katas), SANDBOXED if sandboxed else UNSANDBOXED)
    jobs = min(max(1, jobs), sandbox.MAX_SLOTS)
    with tempfile.TemporaryDirectory(prefix="katas-batch-", ignore_cleanup_errors=True) as tmp:
        scratch = Path(tmp)
        copies: dict[str, Path] = {}
        findings: dict[str, dict[str, list[Finding]]] = {}
        for index, submission in enumerate(submissions):
            copy = scratch / "copies" / str(index)
            notes = run.notes.setdefault(submission.name, [])
            try:
                notes.extend(_private_copy(submission.path, copy))
                findings[submission.name] = _by_kata(scan_tree(copy), notes)
            except Exception as exc:  # never let one folder stop the batch
                notes.append(f"could not be copied: {one_line(exc)}")
                shutil.rmtree(copy, ignore_errors=True)
                copy.mkdir(parents=True, exist_ok=True)
                findings[submission.name] = {}
            copies[submission.name] = copy
        try:
            counts, pristine = _warm_cache(katas, scratch, sandboxed, seconds, jobs)
        except Exception as exc:  # the counts are a courtesy: grade without them
            run.notes.setdefault("", []).append(f"could not count the checks: {one_line(exc)}")
            counts, pristine = {}, scratch / "no-cache"
            pristine.mkdir(exist_ok=True)
        slots: queue.Queue[int] = queue.Queue()
        for slot in range(jobs):
            slots.put(slot)
        work = [(s.name, k, n) for n, (k, s) in enumerate(_order(katas, submissions))]

        def grade(item: tuple[str, Kata, int]) -> Entry:
            name, kata, number = item
            slot = slots.get()
            try:
                return _grade_one(
                    name,
                    kata,
                    copies[name],
                    scratch / "runs" / str(number),
                    findings[name].get(kata.slug, []),
                    counts.get(kata.slug, 0),
                    pristine,
                    slot=slot,
                    seconds=seconds,
                    memory_mb=memory_mb or 2048,
                    sandboxed=sandboxed,
                )
            except Exception as exc:  # a bug here must cost one verdict, not the batch
                result = KataResult(
                    kata, Status.CRASHED, f"the engine failed grading this kata: {one_line(exc)}"
                )
                return Entry(name, result, counts.get(kata.slug, 0))
            finally:
                slots.put(slot)

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            done = list(pool.map(grade, work))
    order = {k.slug: i for i, k in enumerate(katas)}
    for submission in submissions:
        mine = [e for e in done if e.submission == submission.name]
        run.entries[submission.name] = sorted(mine, key=lambda e: order[e.result.kata.slug])
    run.duration = time.monotonic() - started
    return run


def _order(
    katas: Sequence[Kata], submissions: Sequence[Submission]
) -> Iterator[tuple[Kata, Submission]]:
    """Slowest katas first (the later ones use real threads, processes and servers), so
    the batch does not end with one long kata running alone."""
    for kata in sorted(katas, key=lambda k: -k.number):
        for submission in submissions:
            yield kata, submission


def _by_kata(found: list[Finding], notes: list[str]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in found:
        kata, _, rest = finding.path.partition("/")
        if rest:
            grouped.setdefault(kata, []).append(finding)
        else:  # outside any kata folder: never graded (runs see one kata folder only)
            notes.append(f"integrity scan, not graded: {one_line(finding, 200)}")
    return grouped


def _grade_one(
    name: str,
    kata: Kata,
    copy: Path,
    folder: Path,
    findings: list[Finding],
    checks: int,
    pristine: Path,
    *,
    slot: int,
    seconds: float,
    memory_mb: int,
    sandboxed: bool,
) -> Entry:
    if not kata.supported_here:
        needs = f"needs Python {kata.min_python_text}+"
        return Entry(name, KataResult(kata, Status.SKIPPED, needs), checks)
    run = sandbox.RunDirs(folder)
    source = copy / kata.slug
    if source.is_dir():
        shutil.copytree(source, run.target / kata.slug, symlinks=True)
    else:
        (run.target / kata.slug).mkdir(parents=True)
    sandbox.prepare_run_dirs(run, slot=slot)
    canaries = canaries_.Canaries.new()
    canary_file = run.report / "canary.json"
    canaries.write(canary_file)
    output_path = folder.parent / f"{folder.name}.out"
    extra = ["-p", "katagrader.canary"]
    if sandboxed:
        report_inside = sandbox.INSIDE_REPORT / "report.json"
        inner = pytest_command(kata, Target(sandbox.INSIDE_TARGET), report_inside, extra=extra)
        inner.insert(1, "-P")  # never import from the working directory
        variables = {canaries_.ENV_FILE: str(sandbox.INSIDE_REPORT / "canary.json")}
        limits = sandbox.RunLimits(memory_mb)
        command = sandbox.wrap(inner, run, limits, slot=slot, env=variables, cache=pristine)
        env: dict[str, str] = {}
        root_inside = str(sandbox.INSIDE_TARGET)
    else:
        inner = pytest_command(kata, Target(run.target), run.report / "report.json", extra=extra)
        inner.insert(1, "-P")
        command = [sys.executable, "-m", "katagrader.limits", str(memory_mb), "--", *inner]
        env = {"PYTHONPYCACHEPREFIX": str(pristine), canaries_.ENV_FILE: str(canary_file)}
        root_inside = str(run.target)
    started = time.monotonic()
    returncode, timed_out = _run_isolated(command, output_path, seconds, env)
    duration = time.monotonic() - started
    output = clean(_tail(output_path))
    output_size = output_path.stat().st_size
    report = deep_clean(_read_run_report(run.report))
    result, evidence = _judge_run(kata, report, returncode, timed_out, output, seconds, canaries)
    if output_size >= sandbox.OUTPUT_CAP_BYTES or returncode == 128 + 25:  # SIGXFSZ
        # Writes past the cap fail, pytest's own report among them: whatever the report
        # then says, the run was cut short.
        cap = f"the output or a file reached the cap of {sandbox.OUTPUT_CAP_BYTES // 2**20} MiB"
        evidence = [cap]
        result.status = Status.CRASHED
        result.summary = f"{cap}, so the run was cut short (does your code print without end?)."
    evidence.extend(str(f) for f in findings)
    if result.status is Status.PASSED and evidence:
        result.status = Status.SUSPECT
        result.summary = f"the checks passed, but there is evidence to look at: {evidence[0]}"
    result.duration = duration
    result.returncode = returncode
    result.output_tail = output
    _relative_paths(result, root_inside)
    shutil.rmtree(folder, ignore_errors=True)
    output_path.unlink(missing_ok=True)
    return Entry(
        name, result, checks or len([t for t in result.tests if t["phase"] == "call"]), evidence
    )


def _read_run_report(folder: Path, limit: int = 2 * sandbox.OUTPUT_CAP_BYTES) -> Any:
    """The report in a folder the run could write to: never through a symbolic link (of
    the folder or the file), never from a FIFO or device (it would block the batch), never
    more than `limit` bytes; None when there is no such report."""
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    try:
        folder_fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | nofollow)
    except OSError:
        return None
    try:
        fd = os.open("report.json", os.O_RDONLY | nofollow | os.O_NONBLOCK, dir_fd=folder_fd)
    except OSError:
        return None
    finally:
        os.close(folder_fd)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        data = handle.read(limit + 1)
    if len(data) > limit:
        return None
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _judge_run(
    kata: Kata,
    report: dict[str, Any] | None,
    returncode: int | None,
    timed_out: bool,
    output: str,
    seconds: float,
    canaries: canaries_.Canaries,
) -> tuple[KataResult, list[str]]:
    """Judge a run on its report, but only after checking the report against its
    canaries and against how the process really ended."""
    if report is None:
        return judge(kata, None, returncode, timed_out, output, seconds), []
    malformed = childreport.problem(report)
    if malformed:
        summary = f"the grading report is malformed: {malformed}."
        return KataResult(kata, Status.CRASHED, summary), [f"malformed report: {malformed}"]
    evidence: list[str] = []
    raw_tests = report["tests"]
    kept, tampered = canaries_.check(canaries, raw_tests)
    complete = report["complete"]
    # A canary may be missing only when the session did not run all its tests (ended
    # early, or interrupted by the engine: exit status 2 and up); one that passed is
    # evidence always.
    ran_all = complete and report["exitstatus"] in (0, 1)
    canary_passed = any(t["outcome"] == "passed" for t in raw_tests if t["test"] in canaries.names)
    if tampered and (ran_all or canary_passed):
        evidence.append(tampered)
    report = {
        **report,
        "tests": kept,
        "collected": max(0, report["collected"] - len(canaries.names)),
    }
    if complete:
        claimed = report["exitstatus"]
        any_failed = any(t["outcome"] == "failed" for t in raw_tests)
        if returncode != claimed:
            evidence.append(
                f"the report says pytest exited with status {claimed}, but the process "
                f"exited with {returncode}"
            )
        elif claimed in (0, 1) and claimed != (1 if any_failed else 0):  # pytest's rule
            evidence.append(
                f"the report says pytest exited with status {claimed} although "
                + ("a check failed" if any_failed else "no check failed")
            )
        if claimed == 1 and all(t["outcome"] != "failed" for t in kept):
            report["exitstatus"] = 0  # only the canaries failed, as they must
    result = judge(kata, report, returncode, timed_out, output, seconds)
    if evidence and result.status is not Status.CRASHED:
        result.status = Status.SUSPECT
        result.summary = f"evidence of tampering: {evidence[0]}."
    return result, evidence


def _relative_paths(result: KataResult, root: str) -> None:
    """Paths as the student sees them, relative to their submission folder."""

    def rel(text: str) -> str:
        return text.replace(root + "/", "").replace(root, ".")

    result.summary = rel(result.summary)
    result.output_tail = rel(result.output_tail)
    for test in result.tests:
        test["message"] = rel(test["message"])
        test["nodeid"] = rel(test["nodeid"])
