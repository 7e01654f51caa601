"""Which tree is graded, and loading the learner's modules from it.

A target is `exercises` (the default), `solutions`, or any directory laid out the same way
(`<target>/NN_topic/<module>.py`), such as a student's submission.  Modules are imported by
path under a private name, so a kata can be graded against any tree without installing it.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import LoadFailed, MissingName

REPO_ROOT = Path(__file__).resolve().parents[2]
NAMED_TARGETS = ("exercises", "solutions")


@dataclass(frozen=True)
class Target:
    """The tree being graded."""

    root: Path

    @classmethod
    def from_option(cls, value: str | None) -> Target:
        """Resolve `--target`: a named tree of this repository or a directory path."""
        if not value:
            value = "exercises"
        if value in NAMED_TARGETS:
            return cls(REPO_ROOT / value)
        path = Path(value).expanduser().resolve()
        if not path.is_dir():
            raise ValueError(
                f"--target {value!r} is neither {' nor '.join(NAMED_TARGETS)} nor a directory. "
                "Give `exercises`, `solutions`, or the path of a folder laid out like "
                "exercises/ (one NN_topic folder per kata)."
            )
        return cls(path)

    def contains(self, filename: str) -> bool:
        """Whether a code file belongs to the graded tree (the learner's code)."""
        try:
            Path(filename).resolve().relative_to(self.root)
        except (ValueError, OSError):
            return False
        return True


_current = Target(REPO_ROOT / "exercises")


def set_target(target: Target) -> None:
    global _current
    _current = target


def current_target() -> Target:
    return _current


def display_path(path: str | Path) -> str:
    """A path as a learner would type it: relative to the repository where possible."""
    resolved = Path(path).resolve()
    for base in (Path.cwd(), REPO_ROOT):
        try:
            return resolved.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(resolved)


@dataclass
class LearnerModule:
    """A learner's module, imported on first use so that a broken file fails each test
    with a message instead of failing collection with a traceback."""

    kata: str
    name: str
    _module: types.ModuleType | None = field(default=None, init=False, repr=False)
    _error: LoadFailed | None = field(default=None, init=False, repr=False)

    @property
    def path(self) -> Path:
        return current_target().root / self.kata / f"{self.name}.py"

    def load(self) -> types.ModuleType:
        if self._module is not None:
            return self._module
        if self._error is not None:
            raise self._error
        try:
            self._module = _import_by_path(self.path, f"_kata_{self.kata}_{self.name}")
        except LoadFailed as exc:
            self._error = exc
            raise
        return self._module

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        module = self.load()
        try:
            return getattr(module, attr)
        except AttributeError:
            defined = sorted(
                name
                for name, value in vars(module).items()
                if not name.startswith("_")
                and getattr(value, "__module__", None) == module.__name__
            )
            raise MissingName(
                f"MISSING NAME: the grader uses `{attr}`, but {display_path(self.path)} does not "
                f"define it. Did you rename or delete it? Names defined there: "
                f"{', '.join(defined) or 'none'}. Keep the names and signatures of the stub."
            ) from None


def learner_module(name: str, kata: str | None = None) -> Any:
    """The learner's module `name` of this grader's kata, loaded lazily from the target.

    Call it at the top of a grader file: `queue = learner_module("crawler")`.  The kata is
    the name of the folder the calling grader file lives in.
    """
    if kata is None:
        caller = sys._getframe(1).f_globals.get("__file__")
        if caller is None:
            raise TypeError("learner_module() needs kata= when not called from a grader file")
        kata = Path(caller).resolve().parent.name
    return LearnerModule(kata, name)


def _import_by_path(path: Path, module_name: str) -> types.ModuleType:
    shown = display_path(path)
    if not path.is_file():
        raise LoadFailed(
            f"{shown} does not exist. The grader expects the exercise file there; "
            "if you moved or renamed it, put it back (`nox -s reset -- <kata>` restores the stub)."
        )
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before running, as a normal import does, so dataclasses and pickling work.
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[module_name]
        line = (exc.text or "").strip()
        raise LoadFailed(
            f"{shown} has a syntax error at line {exc.lineno}: {exc.msg}.\n"
            f"    {line}\n"
            "Python could not even read the file, so no test could run. Fix that line "
            "(look at the line before it too: an unclosed bracket shows up one line late)."
        ) from None
    except (Exception, SystemExit) as exc:  # a learner's import may raise anything
        del sys.modules[module_name]
        where = _last_frame_in(exc, path)
        raise LoadFailed(
            f"importing {shown} raised {type(exc).__name__}: {exc}"
            + (f"\n    line {where.lineno}: {(where.line or '').strip()}" if where else "")
            + "\nCode at the top level of the file runs on import: move work into functions."
        ) from None
    return module


def _last_frame_in(exc: BaseException, path: Path) -> traceback.FrameSummary | None:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
    return frames[-1] if frames else None
