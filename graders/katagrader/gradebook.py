"""The gradebook of a class run: files a teacher reads, and the class-wide reports.

    gradebook.csv    one row per student and kata: status, checks passed of checks,
                     the reasons (first sentence of each, paths relative to the
                     submission) and the evidence behind a `suspect`
    students.csv     one row per student: katas passed, suspect, failed, crashed
    katas.csv        one row per kata: the class pass rate and the most common reasons
    gradebook.json   all of it, with each student's full report (report.schema.json)
    gradebook.html   a heatmap, students x katas, each cell opening its reasons (offline)

All learner text is cleaned first (sanitize.py). Writing never stops at one odd value.
"""

from __future__ import annotations

import csv
import json
import platform
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .batch import ClassRun, Entry
from .report import SCHEMA_VERSION, build_report
from .runner import Status
from .sanitize import csv_cell, deep_clean, first_sentence, one_line
from .targets import Target

TOP_REASONS = 3
GRADED = (Status.PASSED, Status.FAILED, Status.NOT_STARTED, Status.CRASHED, Status.SUSPECT)


def reasons(entry: Entry, limit: int = 3) -> list[str]:
    """Why a kata did not pass, one short sentence each (the summary when no check says);
    checks failing for the same reason are named together."""
    if entry.status in (Status.PASSED, Status.SKIPPED):
        return []
    by_sentence: dict[str, list[str]] = {}
    for test in entry.result.tests:
        if test["outcome"] == "passed":
            continue
        sentence = first_sentence(test["message"] or test["kind"], 200)
        names = by_sentence.setdefault(sentence, [])
        if test["test"] not in names:
            names.append(test["test"])
    found = [
        f"{names[0]}: {sentence}" if len(names) == 1 else f"{len(names)} checks: {sentence}"
        for sentence, names in by_sentence.items()
    ]
    if entry.status in (Status.CRASHED, Status.SUSPECT) or not found:
        found.insert(0, first_sentence(entry.result.summary, 240))
    return found[:limit]


@dataclass(frozen=True)
class StudentTotals:
    name: str
    counts: Counter[str]
    katas: int

    @property
    def passed(self) -> int:
        return self.counts[str(Status.PASSED)]


def student_totals(run: ClassRun) -> list[StudentTotals]:
    return [
        StudentTotals(name, Counter(str(e.status) for e in entries), len(entries))
        for name, entries in run.entries.items()
    ]


@dataclass(frozen=True)
class KataStats:
    slug: str
    title: str
    checks: int
    counts: Counter[str]
    graded: int
    top: list[tuple[str, int]]

    @property
    def pass_rate(self) -> float:
        return self.counts[str(Status.PASSED)] / self.graded if self.graded else 0.0


def kata_stats(run: ClassRun) -> list[KataStats]:
    stats = []
    for index, kata in enumerate(run.katas):
        entries = [es[index] for es in run.entries.values() if len(es) > index]
        counts = Counter(str(e.status) for e in entries)
        graded = sum(1 for e in entries if e.status is not Status.SKIPPED)
        common: Counter[str] = Counter()
        for entry in entries:
            if entry.status in (Status.PASSED, Status.SKIPPED):
                continue
            failing = {
                (t["test"], t["kind"]) for t in entry.result.tests if t["outcome"] != "passed"
            }
            if failing:
                common.update(f"{test} ({kind})" for test, kind in failing)
            else:
                common[f"{entry.status}: {first_sentence(entry.result.summary, 120)}"] += 1
        checks = max((e.checks for e in entries), default=0)
        stats.append(
            KataStats(
                kata.slug, kata.title, checks, counts, graded, common.most_common(TOP_REASONS)
            )
        )
    return stats


def class_json(run: ClassRun, roots: dict[str, Path]) -> dict[str, Any]:
    """The whole class as one JSON document (the `class` form in report.schema.json)."""
    students = {}
    for total in student_totals(run):
        entries = run.entries[total.name]
        report = build_report([e.result for e in entries], Target(roots[total.name]))
        for kata, entry in zip(report["katas"], entries, strict=True):
            kata["checks"] = entry.checks
            kata["evidence"] = entry.evidence
            kata["reasons"] = reasons(entry)
        students[total.name] = {
            "passed": total.passed,
            "katas": total.katas,
            "counts": {str(s): total.counts[str(s)] for s in Status},
            "notes": run.notes.get(total.name, []),
            "report": report,
        }
    document: dict[str, Any] = deep_clean(
        {
            "schema_version": SCHEMA_VERSION,
            "kind": "class",
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "sandbox": run.mode,
            "duration": round(run.duration, 3),
            "katas": [
                {
                    "kata": s.slug,
                    "title": s.title,
                    "checks": s.checks,
                    "pass_rate": round(s.pass_rate, 4),
                    "counts": {str(st): s.counts[str(st)] for st in Status},
                    "top_reasons": [{"reason": r, "count": c} for r, c in s.top],
                }
                for s in kata_stats(run)
            ],
            "students": students,
        }
    )
    return document


def write_gradebook(run: ClassRun, roots: dict[str, Path], out: Path) -> list[Path]:
    """Write every gradebook file into `out`; returns their paths."""
    from .gradebook_html import render

    out.mkdir(parents=True, exist_ok=True)
    written = []
    details = out / "gradebook.csv"
    with details.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["submission", "kata", "status", "checks_passed", "checks", "reasons", "evidence"]
        )
        for name, entries in run.entries.items():
            for e in entries:
                writer.writerow(
                    [
                        csv_cell(name),
                        e.result.kata.slug,
                        str(e.status),
                        e.result.passed_count,
                        e.checks,
                        csv_cell(" | ".join(reasons(e))),
                        csv_cell(" | ".join(one_line(x, 300) for x in e.evidence)),
                    ]
                )
    written.append(details)
    students = out / "students.csv"
    with students.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        statuses = [str(s) for s in GRADED]
        writer.writerow(["submission", "katas", *statuses, "notes"])
        for total in student_totals(run):
            notes = " | ".join(one_line(n, 200) for n in run.notes.get(total.name, []))
            writer.writerow(
                [
                    csv_cell(total.name),
                    total.katas,
                    *(total.counts[s] for s in statuses),
                    csv_cell(notes),
                ]
            )
    written.append(students)
    katas = out / "katas.csv"
    with katas.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kata", "checks", "graded", "pass_rate", "passed", "common_reasons"])
        for s in kata_stats(run):
            common = " | ".join(f"{count}x {reason}" for reason, count in s.top)
            writer.writerow(
                [
                    s.slug,
                    s.checks,
                    s.graded,
                    f"{s.pass_rate:.2f}",
                    s.counts[str(Status.PASSED)],
                    csv_cell(common),
                ]
            )
    written.append(katas)
    document = class_json(run, roots)
    book = out / "gradebook.json"
    book.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    written.append(book)
    html = out / "gradebook.html"
    html.write_text(render(run, kata_stats(run), student_totals(run)), encoding="utf-8")
    written.append(html)
    return written


def class_summary(run: ClassRun) -> list[str]:
    lines = [f"Graded {len(run.entries)} submissions x {len(run.katas)} katas ({run.mode})."]
    for total in student_totals(run):
        extra = ", ".join(
            f"{total.counts[str(s)]} {s}"
            for s in (Status.SUSPECT, Status.CRASHED)
            if total.counts[str(s)]
        )
        lines.append(
            f"{one_line(total.name, 80)}: {total.passed}/{total.katas} katas passed"
            + (f" ({extra})" if extra else "")
        )
    return lines


def class_markdown(run: ClassRun, stats: Sequence[KataStats] | None = None) -> str:
    """A GitHub step summary for a class: escaped, one row per student."""
    from .sanitize import markdown

    stats = stats or kata_stats(run)
    lines = [
        f"### Class: {len(run.entries)} submissions, {len(run.katas)} katas ({run.mode})",
        "",
        "| submission | passed | suspect | crashed |",
        "| --- | --- | --- | --- |",
    ]
    for t in student_totals(run):
        lines.append(
            f"| {markdown(t.name, 80)} | {t.passed}/{t.katas} | {t.counts['suspect']} | "
            f"{t.counts['crashed']} |"
        )
    lines += ["", "| kata | pass rate | most common reason |", "| --- | --- | --- |"]
    for s in stats:
        top = markdown(s.top[0][0], 120) if s.top else ""
        lines.append(f"| `{s.slug}` | {s.pass_rate:.0%} | {top} |")
    return "\n".join(lines) + "\n"
