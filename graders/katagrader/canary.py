"""Canary checks: tests the engine adds to a class-mode run that must FAIL.

Learner code shares the interpreter with the checks, so it can rewrite how pytest reports
them. What it cannot easily do is rewrite them selectively: the canaries are ordinary
grader tests (placed among the real ones, wrapped in the same leak checks, recorded the
same way) whose names change on every run, and which always fail. A run in which one of
them "passed", or went missing, was tampered with, and the runner calls it `suspect`.

The names reach this plugin (`-p katagrader.canary`) in a file that it reads and deletes
in `pytest_configure`, before any learner code is imported, so learner code cannot read
them from the environment, the command line or the file system.
"""

from __future__ import annotations

import json
import os
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ENV_FILE = "KATA_CANARY_FILE"
_WORDS = (
    "awaits", "batch", "cancel", "client", "closes", "drains", "event", "fetch", "gather",
    "handles", "in_flight", "limit", "lock", "order", "page", "queue", "result", "retry",
    "returns", "runs", "shutdown", "stream", "task", "timeout", "worker", "yields",
)  # fmt: skip
_NAMES = pytest.StashKey[list[str]]()


@dataclass(frozen=True)
class Canaries:
    names: tuple[str, ...]
    token: str

    @classmethod
    def new(cls, count: int = 2) -> Canaries:
        rng = random.SystemRandom()
        names: set[str] = set()
        while len(names) < count:
            words = rng.sample(_WORDS, 3)
            names.add(f"test_{'_'.join(words)}_{secrets.token_hex(2)}")
        return cls(tuple(sorted(names)), secrets.token_hex(8))

    def write(self, path: Path) -> None:
        path.write_text(json.dumps({"names": self.names, "token": self.token}), encoding="utf-8")


def check(canaries: Canaries, tests: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The records that are not canaries, and the evidence of tampering ('' if none).
    Each canary must have failed, or have been skipped (learner code that skips its own
    checks at import skips the canaries too: never a pass either); never passed, and
    never missing from a complete report."""
    kept: list[dict[str, Any]] = []
    seen: dict[str, list[dict[str, Any]]] = {n: [] for n in canaries.names}
    for record in tests:
        name = record.get("test")
        if name in seen:
            seen[str(name)].append(record)
        else:
            kept.append(record)
    problems = []
    for name, records in seen.items():
        outcomes = [(r.get("phase"), r.get("outcome")) for r in records]
        skipped = any(outcome == "skipped" for _phase, outcome in outcomes)
        if ("call", "failed") not in outcomes and not skipped:
            shown = ", ".join(f"{p} {o}" for p, o in outcomes) or "no record at all"
            problems.append(f"engine check `{name}` must fail but its report says: {shown}")
    return kept, "; ".join(problems)


def pytest_configure(config: pytest.Config) -> None:
    path = os.environ.pop(ENV_FILE, None)
    names: list[str] = []
    if path:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            Path(path).unlink()
            names = [str(n) for n in data["names"]]
        except (OSError, ValueError, KeyError, TypeError):
            raise pytest.UsageError(f"cannot read the canary file {path}") from None
    config.stash[_NAMES] = names


def _canary_body() -> None:
    raise AssertionError("this engine check always fails")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Insert the canaries, each under a random real grader module, before the engine wraps
    every grader test in its leak checks (so they are wrapped alike): the last one after
    every real test (a forgery set up by the learner's import is always in place by
    then), the others at random places."""
    names = config.stash.get(_NAMES, [])
    modules = [i.parent for i in items if isinstance(i, pytest.Function) and i.parent]
    if not names or not modules:
        return
    rng = random.SystemRandom()
    last, *others = rng.sample(names, len(names))
    for name in others:
        item = pytest.Function.from_parent(rng.choice(modules), name=name, callobj=_canary_body)
        items.insert(rng.randrange(len(items) + 1), item)
    item = pytest.Function.from_parent(rng.choice(modules), name=last, callobj=_canary_body)
    items.append(item)
