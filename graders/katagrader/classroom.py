"""The GitHub Classroom autograding template, docs/workflows/classroom.yml, made from the
manifest: one autograding test per kata. After adding a kata, write it again with

    PYTHONPATH=graders python -m katagrader.classroom

(tests/test_batch_classroom.py fails while the file differs from what this makes)."""

from __future__ import annotations

from .manifest import Kata, load_manifest
from .targets import REPO_ROOT

PATH = REPO_ROOT / "docs" / "workflows" / "classroom.yml"
# Pinned by commit, as zizmor wants (the v1 tags of classroom-resources, 2024).
COMMAND_GRADER = (
    "classroom-resources/autograding-command-grader@d5b3fa6f50f7f629b7bfae0cc3e4c58852b412d5"
)
REPORTER = (
    "classroom-resources/autograding-grading-reporter@d13b5912daf5042ac1b71bc38bdb4a6bcd61d8ca"
)
HEAD = """# Grade a GitHub Classroom assignment: every student's repository grades itself on
# GitHub's runners, one autograding test per kata (one point each), and the teacher reads
# the scores in Classroom. Copy this file into the assignment's template repository as
# .github/workflows/classroom.yml (see "A class" in README.md). Delete the steps of katas
# that are not part of the assignment (and their ids from `runners` below), or change a
# kata's points with `max-score`. Each kata is graded in its own step by the same command
# a student runs (`nox -s grade -- NN`), so the student sees the same messages here.
name: classroom autograding

on:
  push:
  workflow_dispatch:

permissions: {}

jobs:
  autograding:
    runs-on: ubuntu-latest
    # Classroom's own commits (the initial template copy) are not a submission.
    if: github.actor != 'github-classroom[bot]'
    permissions:
      checks: write  # the reporter posts the score as a check run
      actions: read
      contents: read
    timeout-minutes: 60
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0
        with:
          python-version: "3.13"
      - run: python -m pip install -r requirements/nox.txt && nox -s list
"""


def step_id(kata: Kata) -> str:
    return f"kata{kata.number:02d}"  # the reporter takes letters and digits only


def render(katas: list[Kata]) -> str:
    steps = [
        f"      - name: kata {k.number:02d} ({k.slug})\n"
        f"        id: {step_id(k)}\n"
        f"        uses: {COMMAND_GRADER} # v1\n"
        "        with:\n"
        f"          test-name: {k.slug}\n"
        f"          command: nox -s grade -- {k.number:02d}\n"
        "          timeout: 5\n"
        "          max-score: 1\n"
        for k in katas
    ]
    results = "".join(
        f"          {step_id(k).upper()}_RESULTS: ${{{{ steps.{step_id(k)}.outputs.result }}}}\n"
        for k in katas
    )
    reporter = (
        "      - name: autograding reporter\n"
        "        if: always()\n"
        f"        uses: {REPORTER} # v1\n"
        "        env:\n"
        f"{results}"
        "        with:\n"
        f"          runners: {','.join(step_id(k) for k in katas)}\n"
    )
    return HEAD + "".join(steps) + reporter


if __name__ == "__main__":
    PATH.write_text(render(load_manifest()), encoding="utf-8")
    print(f"wrote {PATH}")
