"""cosmic-ray's test command: grade one kata against a mutated tree, the engine's way.

    python -m kata_mutation.grade 05_semaphores --tree tree --seconds 60

It grades with `katagrader.runner.run_kata` (the same pytest command, plugin, limits and
verdicts as `nox -s grade`), stopping at the first failing test (`-x`), and prints one line
`KATA-MUTATION-VERDICT {json}` that the report reads back from cosmic-ray's session:

- killed: a grader test failed (wrong answer, leak, timeout, exception...), or the kata's
  time limit stopped a mutant that hung. Exit status 1.
- survived: every test passed. Exit status 0.
- crashed: the grading machinery failed rather than a test (a grader fixture failed
  (`grader_error`), the grader could not be collected, the process died without a time
  limit being reached). cosmic-ray sees exit status 3 as "killed"; the report counts it
  apart, never as a kill.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from katagrader.manifest import load_manifest
from katagrader.runner import PYCACHE, KataResult, Status, run_kata
from katagrader.targets import Target

MARKER = "KATA-MUTATION-VERDICT "
EXIT = {"survived": 0, "killed": 1, "crashed": 3}
# Failing kinds that say the grader, not the mutant, went wrong (or nothing was checked).
NOT_A_KILL = ("grader_error", "skipped")


def classify(result: KataResult) -> dict[str, Any]:
    """The mutant's fate from the engine's verdict on it."""
    failing = [t for t in result.tests if t.get("outcome") != "passed"]
    real = [t for t in failing if t.get("kind") not in NOT_A_KILL]
    if result.status is Status.PASSED:
        return {"verdict": "survived", "summary": result.summary}
    if real:
        test = real[0]
        return {
            "verdict": "killed",
            "test": test.get("test"),
            "kind": test.get("kind"),
            "summary": str(test.get("message", ""))[:300],
        }
    hung = result.returncode is None or "Timeout (" in result.output_tail
    if result.status is Status.CRASHED and hung:
        return {"verdict": "killed", "test": None, "kind": "timeout", "summary": result.summary}
    detail = "; ".join(f"{t.get('test')} [{t.get('kind')}]: {t.get('message')}" for t in failing)
    return {
        "verdict": "crashed",
        "status": str(result.status),
        "summary": (result.summary + (f" {detail}" if detail else ""))[:600],
        "output_tail": result.output_tail[-1500:],
    }


def grade(slug: str, tree: Path, seconds: float, fail_fast: bool = True) -> dict[str, Any]:
    kata = next(k for k in load_manifest() if k.slug == slug)
    tree = tree.resolve()
    # The runner caches bytecode under .katas/pycache by source path, and pyc files are
    # validated by mtime (whole seconds) and size: two mutants of the same size written
    # within a second would run stale bytecode. Drop this tree's cache before each grade.
    shutil.rmtree(PYCACHE / tree.relative_to(tree.anchor), ignore_errors=True)
    result = run_kata(kata, Target(tree), seconds=seconds, extra_args=["-x"] if fail_fast else [])
    verdict = classify(result)
    verdict["seconds"] = round(result.duration, 2)
    return verdict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kata", help="the kata's slug, e.g. 05_semaphores")
    parser.add_argument("--tree", type=Path, required=True, help="the mutated target tree")
    parser.add_argument("--seconds", type=float, default=120.0, help="the kata's time limit")
    args = parser.parse_args(argv)
    try:
        verdict = grade(args.kata, args.tree, args.seconds)
    except Exception as exc:  # the machinery itself failed: never a kill
        verdict = {"verdict": "crashed", "summary": f"{type(exc).__name__}: {exc}"}
    print(MARKER + json.dumps(verdict), flush=True)
    return EXIT[verdict["verdict"]]


if __name__ == "__main__":
    sys.exit(main())
