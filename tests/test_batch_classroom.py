"""The GitHub Classroom template (docs/workflows/classroom.yml) stays in step with the
manifest: one autograding test per kata, graded by the learner's own command, each one
reported, every action pinned by commit."""

from __future__ import annotations

import re

from katagrader import classroom
from katagrader.manifest import load_manifest

WORKFLOW = classroom.PATH.read_text(encoding="utf-8")


def test_the_template_is_made_from_the_manifest() -> None:
    """classroom.yml is exactly what katagrader.classroom makes from katas.toml."""
    assert WORKFLOW == classroom.render(load_manifest()), (
        "docs/workflows/classroom.yml is out of date: write it again with "
        "`PYTHONPATH=graders python -m katagrader.classroom`"
    )


def _steps() -> dict[str, str]:
    """Step id -> the step's text, for the command-grader steps."""
    found = {}
    for block in re.split(r"\n      - ", WORKFLOW):
        step_id = re.search(r"^\s+id: (\S+)$", block, re.MULTILINE)
        if step_id and "autograding-command-grader@" in block:
            found[step_id[1]] = block
    return found


def test_every_kata_is_an_autograding_test_of_its_own() -> None:
    """Each kata of the manifest has a step that runs `nox -s grade -- NN` for one point."""
    steps = _steps()
    for kata in load_manifest():
        step = steps.get(f"kata{kata.number:02d}")
        assert step, f"no step for {kata.slug} in classroom.yml"
        for line in (f"test-name: {kata.slug}", f"command: nox -s grade -- {kata.number:02d}"):
            assert re.search(rf"^\s+{re.escape(line)}$", step, re.MULTILINE), (kata.slug, line)
        assert re.search(r"^\s+max-score: 1$", step, re.MULTILINE)
    assert len(steps) == len(load_manifest())


def test_the_reporter_reads_every_step() -> None:
    """The reporter's runners are exactly the step ids (letters and digits only, as it
    requires), each with its RESULTS variable from that step's output."""
    runners = re.search(r"runners: (\S+)", WORKFLOW)
    assert runners
    ids = runners[1].split(",")
    assert sorted(ids) == sorted(_steps())
    for step_id in ids:
        assert re.fullmatch(r"[a-zA-Z0-9]+", step_id)
        expected = f"{step_id.upper()}_RESULTS: ${{{{ steps.{step_id}.outputs.result }}}}"
        assert expected in WORKFLOW


def test_every_action_is_pinned_by_commit() -> None:
    """`uses:` names a full commit SHA, with the version in a comment, as the other
    workflows do (zizmor checks them in `nox -s lint`)."""
    uses = re.findall(r"uses: (\S+)", WORKFLOW)
    assert uses
    for action in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
