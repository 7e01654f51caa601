"""The cheap check (no grading): equivalents and recorded scores still match the code.

Generating a kata's mutants takes cosmic-ray a second; grading them takes minutes. So CI
regenerates the mutants and checks, for every kata:

- each entry of graders/NN_topic/equivalent_mutants.toml matches a mutant the code still
  has (an entry that matches none is stale: the file cannot rot);
- the recorded scores docs/mutation/NN_topic.json were measured on exactly the mutants the
  code has now (same operators, files, lines' text), with the same equivalents;
- the scores table in docs/measurements.md is the one these files give.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import cosmic_ray.plugins

from katagrader.manifest import Kata, load_manifest
from katagrader.targets import REPO_ROOT, display_path

from .mutants import EquivalentsError, MutantId, equivalents_path, generate, inputs_digest
from .operators import OPERATORS

SCORES = REPO_ROOT / "docs" / "mutation"
MEASUREMENTS = REPO_ROOT / "docs" / "measurements.md"
TABLE_START = "<!-- mutation-scores: start (nox -s mutate -- --table) -->"
TABLE_END = "<!-- mutation-scores: end -->"


def _key(entry: dict[str, Any]) -> tuple[str, str, str, str]:
    return (entry["operator"], entry["file"], entry["before"], entry["after"])


def check_kata(kata: Kata, require_scores: bool = True) -> list[str]:
    """Problems found for one kata, each a sentence saying what to do. Without
    `require_scores`, a kata with no recorded scores yet is not a problem."""
    problems: list[str] = []
    path = SCORES / f"{kata.slug}.json"
    shown = display_path(path)
    rerun = f"re-run `nox -s mutate -- {kata.number:02d}` and commit {shown}"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    if data is not None and data.get("inputs") == inputs_digest(kata):
        # Recorded from exactly the code, equivalents and operators there are now.
        return [
            f"{where} matched no mutant when the scores were recorded: update or delete "
            f"it, then {rerun}."
            for where in data.get("stale_equivalents", [])
        ]
    if data is None and not require_scores and not equivalents_path(kata).exists():
        return []  # nothing recorded, nothing listed: nothing to compare
    with tempfile.TemporaryDirectory(prefix="kata-mutants-") as scratch:
        try:
            plan = generate(kata, Path(scratch))
        except EquivalentsError as exc:
            return [str(exc)]
    for entry in plan.unmatched:
        problems.append(
            f"{entry.where} ({entry.id.operator}, {entry.id.file}: {entry.id.before!r} -> "
            f"{entry.id.after!r}) matches no mutant of the current solution: update or delete it."
        )
    now = Counter(
        (m.id.operator, m.id.file, m.id.before, m.id.after)
        for m in plan.mutants
        if m.skipped is None or m.is_equivalent
    )
    equivalent_now = sum(m.is_equivalent for m in plan.mutants)
    if data is None:
        if not require_scores:
            return problems
        problems.append(f"{kata.slug}: no recorded scores ({shown}): {rerun}.")
        return problems
    recorded = Counter(_key(m) for m in data["mutants"])
    if recorded != now:
        gone, new = recorded - now, now - recorded
        sample = [MutantId(*k) for k in list(new)[:2] or list(gone)[:2]]
        problems.append(
            f"{kata.slug}: the recorded scores were measured on other mutants "
            f"({sum(new.values())} new, {sum(gone.values())} gone, e.g. "
            f"{', '.join(f'{m.operator} {m.before!r}' for m in sample)}): {rerun}."
        )
    elif sum(m["outcome"] == "equivalent" for m in data["mutants"]) != equivalent_now:
        problems.append(
            f"{kata.slug}: the equivalents list changed since the scores were recorded: {rerun}."
        )
    return problems


def scores_table(katas: list[Kata] | None = None) -> str:
    """The markdown table of the recorded scores (docs/measurements.md holds a copy)."""
    rows = [
        "| kata | operators | mutants | killed | equivalent | survived | crashed | score | wall time (s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kata in katas or load_manifest():
        path = SCORES / f"{kata.slug}.json"
        if not path.exists():
            rows.append(f"| {kata.slug} | not measured yet | | | | | | | |")
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        for which, counts in data["scores"].items():
            judged = counts["mutants"] - counts["equivalent"]
            share = f"{counts['killed'] / judged:.0%}" if judged else "–"
            rows.append(
                f"| {kata.slug} | {which} | {counts['mutants']} | {counts['killed']} | "
                f"{counts['equivalent']} | {counts['survived']} | {counts['crashed']} | {share} | "
                f"{data['wall_seconds']:.0f} |"
            )
    return "\n".join(rows)


def check_table() -> list[str]:
    text = MEASUREMENTS.read_text(encoding="utf-8")
    found = re.search(re.escape(TABLE_START) + r"\n(.*?)\n" + re.escape(TABLE_END), text, re.S)
    if found is None:
        return [
            f"docs/measurements.md has no mutation table between {TABLE_START!r} and {TABLE_END!r}."
        ]
    if found.group(1).strip() != scores_table().strip():
        return [
            "docs/measurements.md's mutation table differs from docs/mutation/*.json: paste "
            "the output of `nox -s mutate -- --table` between its markers."
        ]
    return []


def check_plugin() -> list[str]:
    """cosmic-ray finds every asyncio operator through the package's entry point."""
    registered = set(cosmic_ray.plugins.operator_names())
    missing = [name for name in OPERATORS if f"asyncio/{name}" not in registered]
    if missing:
        return [
            f"cosmic-ray does not see the asyncio operators {missing}: is tools/mutation "
            "installed (`nox -s mutate` installs it), with its entry point?"
        ]
    return []


def main(katas: list[Kata]) -> int:
    problems = check_plugin()
    for kata in katas:
        if kata.supported_here:
            problems += check_kata(kata)
    problems += check_table()
    for problem in problems:
        print(f"- {problem}")
    print(
        f"mutation check: {len(katas)} katas, "
        + ("all consistent." if not problems else f"{len(problems)} problem(s).")
    )
    return 1 if problems else 0
