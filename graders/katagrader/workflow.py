"""The learner's commands around grading: progress, hint, reset and solution."""

from __future__ import annotations

import difflib
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from .console import Printer
from .manifest import Kata
from .progress import current_and_next, forget, last_status, reveal_hint, state_dir
from .runner import Status, run_kata
from .targets import REPO_ROOT, Target, display_path

_LABELS = {
    "passed": ("passed", "green"),
    "failed": ("failing", "red"),
    "crashed": ("failing", "red"),
    "not_started": ("not started", "yellow"),
    None: ("not graded", "dim"),
}


def show_progress(out: Printer, katas: list[Kata]) -> None:
    current, upcoming = current_and_next(katas)
    for kata in katas:
        label, style = _LABELS.get(last_status(kata), _LABELS[None])
        marker = "->" if kata is current else "  "
        out.line(f"{marker} {kata.number:>2}  {kata.slug:<28} {out.paint(f'{label:<12}', style)}")
    passed = sum(1 for k in katas if last_status(k) == "passed")
    out.line()
    out.line(f"{passed}/{len(katas)} katas passed.")
    if current:
        out.line(
            f"Current kata: {current.slug} (nox -s watch, or nox -s grade -- {current.number:02d})"
        )
    if upcoming:
        out.line(f"After it: {upcoming.slug}")


def show_hint(out: Printer, kata: Kata) -> None:
    """The hints seen so far, then the next one; once all were seen, all of them again."""
    hints, new = reveal_hint(kata)
    for number, text in enumerate(hints, start=1):
        latest = new and number == len(hints)
        title = f"Hint {number}/{len(kata.hints)} for {kata.slug}" + (" (new)" if latest else "")
        out.line(out.paint(f"{title}:", "bold" if latest else "dim"))
        out.line(text)
    if not new:
        out.line(
            f"That is all {len(kata.hints)} hints for {kata.slug}. Re-read "
            f"exercises/{kata.slug}/README.md, or grade with -v to see every check."
        )


def _shipped_stub(kata: Kata, module: str) -> Path:
    return REPO_ROOT / "exercises" / kata.slug / f"{module}.py"


def pristine_stub(path: Path) -> str | None:
    """The stub as shipped: the newest committed version with the most
    `raise NotImplementedError` (a learner's own commits raise fewer)."""
    relative = path.relative_to(REPO_ROOT).as_posix()
    try:
        log = subprocess.run(
            ["git", "log", "--format=%H", "--", relative],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return None
    best: tuple[int, str] | None = None
    for commit in log:
        shown = subprocess.run(
            ["git", "show", f"{commit}:{relative}"], cwd=REPO_ROOT, capture_output=True, text=True
        )
        if shown.returncode != 0:
            continue
        raises = shown.stdout.count("raise NotImplementedError")
        if best is None or raises > best[0]:
            best = (raises, shown.stdout)
    return best[1] if best else None


def reset(out: Printer, kata: Kata, target: Target) -> int:
    """Restore the stubs, after copying the learner's files to a backup they are told about."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    backup_dir = state_dir() / "backups" / kata.slug / stamp
    for module in kata.modules:
        path = target.root / kata.slug / f"{module}.py"
        stub = pristine_stub(_shipped_stub(kata, module))
        if stub is None:
            out.line(f"Cannot find the original of {display_path(path)} in git; nothing changed.")
            return 1
        if path.exists():
            if path.read_text(encoding="utf-8") == stub:
                out.line(f"{display_path(path)} is already the original stub.")
                continue
            backup_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, backup_dir / path.name)
            out.line(f"Saved your {path.name} to {display_path(backup_dir / path.name)}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(stub, encoding="utf-8")
        out.line(f"Restored {display_path(path)} to the original stub.")
    if target.root == REPO_ROOT / "exercises" and forget(kata):
        out.line(f"Forgot the last result of {kata.slug}: it is not graded any more.")
    return 0


def solution(out: Printer, kata: Kata, target: Target, *, full: bool = False) -> int:
    """Show how the learner's file differs from the reference solution, once it passes
    (with `full`, the whole reference file after the diff). The kata is graded again
    first: a passing record alone is not trusted."""
    result = run_kata(kata, target)
    if result.status is not Status.PASSED:
        out.line(
            f"{kata.slug} does not pass yet ({result.summary}) so its solution stays hidden. "
            f"Grade it with `nox -s grade -- {kata.number:02d}`, ask for a hint with "
            f"`nox -s hint -- {kata.number:02d}`, and come back once it passes."
        )
        return 1
    show_solution(out, kata, target, full=full)
    return 0


def show_solution(out: Printer, kata: Kata, target: Target, *, full: bool = False) -> None:
    for module in kata.modules:
        reference = REPO_ROOT / "solutions" / kata.slug / f"{module}.py"
        mine = target.root / kata.slug / f"{module}.py"
        diff = difflib.unified_diff(
            mine.read_text(encoding="utf-8").splitlines(),
            reference.read_text(encoding="utf-8").splitlines(),
            fromfile=f"yours: {display_path(mine)}",
            tofile=f"reference: {display_path(reference)}",
            lineterm="",
        )
        out.line(out.paint(f"==> how yours differs from {display_path(reference)}", "bold"))
        out.line("\n".join(diff) or "(identical)")
        if full:
            out.line(out.paint(f"==> {display_path(reference)}", "bold"))
            out.line(reference.read_text(encoding="utf-8"))
    if not full:
        out.line(
            out.paint(
                f"(the whole reference file: nox -s solution -- {kata.number:02d} --full)", "dim"
            )
        )
