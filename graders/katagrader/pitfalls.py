"""Pitfalls: the wrong answers a grader must reject, kept beside it as proof.

`graders/NN_topic/pitfalls/<name>.py` holds only the mistaken definitions, with a docstring
saying what the mistake is, and declares the check that must catch it:

    REJECTED_BY = {"test_services_are_called_concurrently": "wrong_answer"}
    MODULE = "dashboard"  # optional when the kata has one module

`nox -s verify` grades the reference solution with these definitions laid over it
(appended to the module, so they replace the originals) and requires every named test to
fail with the named verdict kind.
"""

from __future__ import annotations

import ast
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import Kind
from .manifest import Kata
from .targets import REPO_ROOT, Target


class PitfallError(ValueError):
    """A pitfall file is malformed; the message says which one and what to fix."""


@dataclass(frozen=True)
class Pitfall:
    kata: Kata
    path: Path
    module: str
    rejected_by: dict[str, Kind]
    summary: str

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def id(self) -> str:
        return f"{self.kata.slug}/{self.name}"


def pitfall_dir(kata: Kata) -> Path:
    return REPO_ROOT / "graders" / kata.slug / "pitfalls"


def load_pitfalls(kata: Kata) -> list[Pitfall]:
    return [_parse(kata, path) for path in sorted(pitfall_dir(kata).glob("*.py"))]


def _literal(tree: ast.Module, name: str) -> object:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    return None


def _parse(kata: Kata, path: Path) -> Pitfall:
    shown = path.relative_to(REPO_ROOT)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstring = ast.get_docstring(tree)
    if not docstring:
        raise PitfallError(f"{shown}: start with a docstring saying what the mistake is.")
    rejected = _literal(tree, "REJECTED_BY")
    if not isinstance(rejected, dict) or not rejected:
        raise PitfallError(
            f"{shown}: declare REJECTED_BY = {{'test_name': 'kind'}}, the checks that must "
            f"fail on this pitfall, with kinds from: {', '.join(k.value for k in Kind)}."
        )
    try:
        kinds = {str(test): Kind(kind) for test, kind in rejected.items()}
    except ValueError as exc:
        raise PitfallError(
            f"{shown}: {exc}; kinds are {', '.join(k.value for k in Kind)}"
        ) from None
    module = _literal(tree, "MODULE")
    if module is None:
        if len(kata.modules) != 1:
            raise PitfallError(f"{shown}: the kata has several modules; set MODULE = '<name>'.")
        module = kata.modules[0]
    if module not in kata.modules:
        raise PitfallError(f"{shown}: MODULE {module!r} is not one of {list(kata.modules)}.")
    return Pitfall(kata, path, str(module), kinds, docstring.splitlines()[0])


def build_overlay(pitfall: Pitfall, workdir: Path) -> Target:
    """A target tree holding the solution with the pitfall's definitions laid over it."""
    kata_dir = workdir / pitfall.kata.slug
    shutil.copytree(REPO_ROOT / "solutions" / pitfall.kata.slug, kata_dir)
    module_path = kata_dir / f"{pitfall.module}.py"
    overlay = [
        line
        for line in pitfall.path.read_text(encoding="utf-8").splitlines()
        if not line.startswith("from __future__ import")  # only legal at the top of a file
    ]
    with module_path.open("a", encoding="utf-8") as module:
        module.write(f"\n\n# ---- pitfall {pitfall.name} laid over the solution ----\n")
        module.write("\n".join(overlay) + "\n")
    return Target(workdir)
