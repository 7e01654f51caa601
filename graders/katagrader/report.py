"""Machine-readable results of a grading run: JSON (schema in report.schema.json), JUnit
XML, and a Markdown table for a GitHub Actions job summary."""

from __future__ import annotations

import json
import platform
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .runner import KataResult, Status
from .sanitize import clean, deep_clean, markdown
from .targets import Target

if TYPE_CHECKING:
    from .batch import ClassRun

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
SCHEMA_VERSION = 1


def build_report(results: Sequence[KataResult], target: Target) -> dict[str, Any]:
    """The report of one target; every string cleaned (learner text is in it)."""
    counts = Counter(str(r.status) for r in results)
    report = {
        "schema_version": SCHEMA_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": sys.platform,
        "target": str(target.root),
        "passed": all(r.status in (Status.PASSED, Status.SKIPPED) for r in results),
        "summary": {"katas": len(results), **{str(s): counts.get(str(s), 0) for s in Status}},
        "katas": [
            {
                "kata": r.kata.slug,
                "title": r.kata.title,
                "status": str(r.status),
                "summary": r.summary,
                "duration": round(r.duration, 3),
                "tests": [
                    {
                        "test": t["test"],
                        "nodeid": t["nodeid"],
                        "task": t.get("task"),
                        "phase": t["phase"],
                        "outcome": t["outcome"],
                        "kind": t["kind"],
                        "message": t["message"],
                        "duration": t["duration"],
                    }
                    for t in r.tests
                ],
            }
            for r in results
        ],
    }
    return deep_clean(report)  # type: ignore[no-any-return]


def write_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=2), encoding="utf-8")


def write_junit(results: Sequence[KataResult], path: Path) -> None:
    """One <testsuite> per kata; a kata that crashed or ran no test gets a failing case of
    its own, so a JUnit consumer can never read it as green. Learner text is cleaned, so
    the XML is well-formed whatever it holds."""
    suites = ET.Element("testsuites", name="python-async-katas")
    for result in results:
        _junit_suite(suites, result, result.kata.slug)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def write_class_junit(run: ClassRun, path: Path) -> None:
    """The whole class: one <testsuite> per submission and kata, named `submission/kata`."""
    suites = ET.Element("testsuites", name="python-async-katas class")
    for name, entries in run.entries.items():
        for entry in entries:
            suite = _junit_suite(suites, entry.result, f"{name}/{entry.result.kata.slug}")
            if entry.evidence:
                ET.SubElement(suite, "system-out").text = clean("\n".join(entry.evidence))
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def _junit_suite(suites: ET.Element, result: KataResult, name: str) -> ET.Element:
    suite = ET.SubElement(suites, "testsuite", name=clean(name))
    classname = clean(name)
    cases = 0
    failures = 0
    for test in result.tests:
        if test["phase"] != "call" and test["outcome"] == "passed":
            continue
        cases += 1
        case = ET.SubElement(
            suite,
            "testcase",
            classname=classname,
            name=clean(test["test"]),
            time=clean(test["duration"]),
        )
        if test["outcome"] == "failed":
            failures += 1
            kind = clean(test["kind"])
            failure = ET.SubElement(case, "failure", type=kind, message=kind)
            failure.text = clean(test["message"])
        elif test["outcome"] == "skipped":
            failures += 1  # a skipped check never passes
            skipped = ET.SubElement(case, "failure", type="skipped", message="skipped")
            skipped.text = clean(test["message"])
    if result.status in (Status.CRASHED, Status.FAILED, Status.SUSPECT) and (
        failures == 0 or result.status is Status.SUSPECT
    ):
        case = ET.SubElement(suite, "testcase", classname=classname, name="kata")
        ET.SubElement(case, "failure", type=str(result.status)).text = clean(result.summary)
        cases += 1
        failures += 1
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    return suite


def markdown_table(results: Sequence[KataResult]) -> str:
    icons = {
        Status.PASSED: "✅",
        Status.FAILED: "❌",
        Status.NOT_STARTED: "⬜",
        Status.CRASHED: "💥",
        Status.SKIPPED: "➖",
        Status.SUSPECT: "⚠️",
    }
    graded = [r for r in results if r.status is not Status.SKIPPED]
    passed = sum(1 for r in graded if r.status is Status.PASSED)
    lines = [
        f"### Katas: {passed}/{len(graded)} passed",
        "",
        "| kata | status | details |",
        "| --- | --- | --- |",
    ]
    for r in results:
        details = markdown(r.summary)  # learner text: GitHub renders Markdown and HTML
        lines.append(f"| `{r.kata.slug}` | {icons[r.status]} {r.status} | {details} |")
    return "\n".join(lines) + "\n"


def gradescope_results(results: Sequence[KataResult]) -> dict[str, Any]:
    """Gradescope's autograder `results.json`: one test per kata, one point when it passes."""
    tests = []
    for r in results:
        failures = [f"- {t['test']}: {t['message']}" for t in r.tests if t["outcome"] != "passed"]
        tests.append(
            {
                "name": f"{r.kata.slug}: {r.kata.title}",
                "score": 1.0 if r.status is Status.PASSED else 0.0,
                "max_score": 1.0,
                "status": "passed" if r.status is Status.PASSED else "failed",
                "output": clean("\n".join([r.summary, *failures])),
            }
        )
    return {
        "score": sum(t["score"] for t in tests),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
