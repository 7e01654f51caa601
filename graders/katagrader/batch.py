"""Grading a whole class: every submission in a folder, every kata, each in its own process.

Each submission (a copy of `exercises/`) is first copied into a private scratch folder,
without symbolic links, and graded there: its code can only write to its own copy, and the
originals are never touched. Katas run several at a time, each with a time limit and a
memory cap, so a submission that hangs, crashes, exits or floods its output costs only its
own verdicts.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .manifest import Kata
from .report import build_report
from .runner import KataResult, Status, run_kata
from .targets import Target


@dataclass(frozen=True)
class Submission:
    name: str
    path: Path


def find_submissions(folder: Path) -> list[Submission]:
    if not folder.is_dir():
        raise ValueError(f"--submissions {folder} is not a folder of submissions")
    found = [Submission(p.name, p) for p in sorted(folder.iterdir()) if p.is_dir()]
    if not found:
        raise ValueError(f"{folder} holds no submission folders (one folder per student)")
    return found


def _private_copy(submission: Submission, scratch: Path) -> Target:
    destination = scratch / submission.name

    def skip_links(directory: str, names: list[str]) -> list[str]:
        return [n for n in names if (Path(directory) / n).is_symlink()]

    shutil.copytree(submission.path, destination, ignore=skip_links)
    return Target(destination)


def grade_submissions(
    submissions: Sequence[Submission],
    katas: Sequence[Kata],
    *,
    jobs: int,
    seconds: float,
    memory_mb: int | None,
) -> dict[str, list[KataResult]]:
    with tempfile.TemporaryDirectory(prefix="katas-batch-") as scratch:
        targets = {s.name: _private_copy(s, Path(scratch)) for s in submissions}
        work = [(s.name, k) for s in submissions for k in katas]

        def grade(item: tuple[str, Kata]) -> KataResult:
            name, kata = item
            return run_kata(kata, targets[name], seconds=seconds, memory_mb=memory_mb)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = list(pool.map(grade, work))
        graded: dict[str, list[KataResult]] = {s.name: [] for s in submissions}
        for (name, _kata), result in zip(work, results, strict=True):
            graded[name].append(result)
        # Reports name the student's folder, not the scratch copy that was graded.
        original = str(submissions[0].path.parent) if submissions else scratch
        for results_of_one in graded.values():
            for result in results_of_one:
                _rename_paths(result, scratch, original)
    return graded


def _rename_paths(result: KataResult, scratch: str, original: str) -> None:
    result.summary = result.summary.replace(scratch, original)
    result.output_tail = result.output_tail.replace(scratch, original)
    for test in result.tests:
        test["message"] = test["message"].replace(scratch, original)


def _reasons(result: KataResult) -> str:
    failed = [t for t in result.tests if t["outcome"] != "passed"]
    firsts = [
        f"{t['test']}: {t['message'].splitlines()[0] if t['message'] else t['kind']}"
        for t in failed
    ]
    return "; ".join(firsts[:3]) or result.summary


def write_gradebook(graded: dict[str, list[KataResult]], submissions_root: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "gradebook.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "kata", "status", "checks_passed", "checks", "reasons"])
        for name, results in graded.items():
            for r in results:
                calls = [t for t in r.tests if t["phase"] == "call"]
                writer.writerow(
                    [name, r.kata.slug, str(r.status), r.passed_count, len(calls), _reasons(r)]
                )
    book: dict[str, Any] = {
        name: build_report(results, Target(submissions_root / name))
        for name, results in graded.items()
    }
    (out / "gradebook.json").write_text(json.dumps(book, indent=2), encoding="utf-8")


def class_summary(graded: dict[str, list[KataResult]]) -> list[str]:
    lines = []
    for name, results in graded.items():
        passed = sum(1 for r in results if r.status is Status.PASSED)
        lines.append(f"{name}: {passed}/{len(results)} katas passed")
    return lines
