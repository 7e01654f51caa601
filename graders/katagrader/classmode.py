"""`grade --submissions DIR`: the command line of class grading.

It refuses, with a sentence, what it cannot do honestly: grading without a working
sandbox (unless `--no-sandbox`), `--gradescope` (Gradescope takes one submission's
results per run), and `--target` (the submissions are the targets). `--report` and
`--junit` are written for the whole class, and so is the GitHub step summary.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import sandbox
from .batch import find_submissions, grade_submissions
from .gradebook import class_json, class_markdown, class_summary, write_gradebook
from .manifest import Kata
from .report import write_class_junit

# Kata runs graded at once per core. A kata run spends most of its time waiting (real
# sleeps of thread, process and socket tests, interpreter start-up): 4 students x 35 katas
# on 2 cores gave 1.0 runs/s at one run per core (load average 1.1), 1.45 at two, 1.96 at
# three, with the same verdicts; the soak at six at once next to a CPU hog gave no failure
# (docs/measurements.md, issue 12).
CLASS_JOBS_PER_CORE = 3


def _refuse(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def grade_class(args: argparse.Namespace, katas: list[Kata]) -> int:
    if args.gradescope:
        return _refuse(
            "--gradescope is not written for a class: Gradescope's autograder takes the "
            "results of one submission per run. Grade each submission on its own "
            "(`nox -s grade -- --target DIR --gradescope results.json`), or use --report "
            "or --junit for the whole class."
        )
    if args.target not in (None, "exercises"):
        return _refuse(
            "--target cannot be combined with --submissions: each submission is a target."
        )
    out = Path(args.out)
    root = Path(args.submissions)
    try:
        submissions = find_submissions(root, exclude=[out])
    except ValueError as exc:
        return _refuse(str(exc))
    if out.resolve().is_relative_to(root.resolve()) and out.resolve() != root.resolve():
        print(f"note: {out} is inside {root}; it is not graded as a submission.")
    if args.no_sandbox:
        print(
            "warning: grading WITHOUT a sandbox (--no-sandbox): a submission can read the "
            "solutions and change other submissions' results. Use it for trusted code only."
        )
    else:
        reason = sandbox.probe()
        if reason:
            return _refuse(
                "class grading runs every submission in a bubblewrap sandbox, and no sandbox "
                f"works here: {reason}. Install bubblewrap (`apt-get install bubblewrap`), "
                "or pass --no-sandbox to grade without one (only for code you trust)."
            )
    jobs = args.jobs or CLASS_JOBS_PER_CORE * (os.cpu_count() or 1)
    run = grade_submissions(
        submissions,
        katas,
        jobs=jobs,
        seconds=args.seconds,
        memory_mb=args.memory_mb or 2048,
        sandboxed=not args.no_sandbox,
    )
    roots = {s.name: s.path for s in submissions}
    written = write_gradebook(run, roots, out)
    if args.report:
        document = class_json(run, roots)
        Path(args.report).write_text(json.dumps(document, indent=2), encoding="utf-8")
        written.append(Path(args.report))
    if args.junit:
        write_class_junit(run, Path(args.junit))
        written.append(Path(args.junit))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as summary:
            summary.write(class_markdown(run))
    for line in class_summary(run):
        print(line)
    print("Written: " + ", ".join(str(p) for p in written))
    return 0
