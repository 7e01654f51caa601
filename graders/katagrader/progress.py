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
    now = datetime.now(UTC).isoformat(timespec="microseconds")  # orders the current kata
    for result in results:
        if result.status is not Status.SKIPPED:
            progress[result.kata.slug] = {
                "status": str(result.status),
                "summary": result.summary,
                "graded_at": now,
            }
    _save("progress.json", progress)


def forget(kata: Kata) -> bool:
    """Drop the kata's recorded result (after a reset its file is the stub again)."""
    progress = _load("progress.json")
    if progress.pop(kata.slug, None) is None:
        return False
    _save("progress.json", progress)
    return True


def last_status(kata: Kata) -> str | None:
    entry = _load("progress.json").get(kata.slug)
    return entry.get("status") if isinstance(entry, dict) else None


def hints_seen(kata: Kata) -> int:
    return min(len(kata.hints), int(_load("hints.json").get(kata.slug, 0)))


def reveal_hint(kata: Kata) -> tuple[list[str], bool]:
    """The hints shown so far plus the next one (recorded as seen), and whether a new one
    was revealed (False once every hint has been shown: they are all returned again)."""
    seen = _load("hints.json")
    count = min(len(kata.hints), int(seen.get(kata.slug, 0)))
    if count >= len(kata.hints):
        return list(kata.hints), False
    seen[kata.slug] = count + 1
    _save("hints.json", seen)
    return list(kata.hints[: count + 1]), True


def next_hint(kata: Kata) -> tuple[int, str] | None:
    """The next hint not yet shown for this kata (1-based), or None when all were shown."""
    hints, new = reveal_hint(kata)
    return (len(hints), hints[-1]) if new else None


def _graded_at(kata: Kata, progress: dict[str, Any]) -> str:
    entry = progress.get(kata.slug)
    return str(entry.get("graded_at", "")) if isinstance(entry, dict) else ""


def next_after(kata: Kata | None, katas: list[Kata]) -> Kata | None:
    """The kata to go on with after `kata`: the first one after it in course order that
    has not passed and whose prerequisites have (counting `kata`), else the first after it
    not passed, else any earlier one still open."""
    passed = {k.slug for k in katas if last_status(k) == "passed"}
    index = katas.index(kata) if kata in katas else -1
    later = [k for k in katas[index + 1 :] if k.slug not in passed]
    # Readiness counts `kata` as done: it is what comes once this one passes.
    done = passed | ({kata.slug} if kata else set())
    ready = [k for k in later if set(k.prerequisites) <= done]
    earlier = [k for k in katas[: max(index, 0)] if k.slug not in passed]
    for candidates in (ready, later, earlier):
        if candidates:
            return candidates[0]
    return None


def current_and_next(katas: list[Kata]) -> tuple[Kata | None, Kata | None]:
    """The kata being worked on and the one after it (`next_after`), which always agree:
    the current kata is the one graded most recently that has not passed, else the first
    not passed in course order."""
    progress = _load("progress.json")
    open_katas = [k for k in katas if last_status(k) != "passed"]
    graded = [k for k in open_katas if last_status(k) is not None]
    if graded:
        current: Kata | None = max(graded, key=lambda k: _graded_at(k, progress))
    else:
        current = open_katas[0] if open_katas else None
    return current, next_after(current, katas) if current else None
