"""The learner's local state: last grading results and hints seen, in `.katas/` (ignored
by git). Only grading of the exercises tree is recorded; a teacher's batch never is."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .manifest import Kata
from .runner import KataResult, Status
from .targets import REPO_ROOT


def state_dir() -> Path:
    return Path(os.environ.get("KATAS_STATE_DIR", REPO_ROOT / ".katas"))


def _load(name: str) -> dict[str, Any]:
    try:
        data = json.loads((state_dir() / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(name: str, data: dict[str, Any]) -> None:
    path = state_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    temporary.replace(path)  # atomic: an interrupted write never leaves half a file


def record_results(results: list[KataResult]) -> None:
    progress = _load("progress.json")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for result in results:
        if result.status is not Status.SKIPPED:
            progress[result.kata.slug] = {
                "status": str(result.status),
                "summary": result.summary,
                "graded_at": now,
            }
    _save("progress.json", progress)


def last_status(kata: Kata) -> str | None:
    entry = _load("progress.json").get(kata.slug)
    return entry.get("status") if isinstance(entry, dict) else None


def next_hint(kata: Kata) -> tuple[int, str] | None:
    """The next hint not yet shown for this kata (1-based), or None when all were shown."""
    seen = _load("hints.json")
    count = int(seen.get(kata.slug, 0))
    if count >= len(kata.hints):
        return None
    seen[kata.slug] = count + 1
    _save("hints.json", seen)
    return count + 1, kata.hints[count]


def current_and_next(katas: list[Kata]) -> tuple[Kata | None, Kata | None]:
    """The kata being worked on (graded but not passed, else the first not passed) and the
    next suggested one (the first not passed whose prerequisites have all passed)."""
    status = {k.slug: last_status(k) for k in katas}
    passed = {slug for slug, s in status.items() if s == "passed"}
    open_katas = [k for k in katas if k.slug not in passed]
    current = next((k for k in open_katas if status[k.slug] is not None), None)
    if current is None and open_katas:
        current = open_katas[0]
    ready = [k for k in open_katas if k is not current and set(k.prerequisites) <= passed]
    return current, (ready[0] if ready else None)
