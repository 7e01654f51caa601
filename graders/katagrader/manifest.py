"""The kata manifest (`katas.toml`): every kata in order, with its metadata and hints."""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .targets import REPO_ROOT

MANIFEST_PATH = REPO_ROOT / "katas.toml"
DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class Kata:
    number: int
    slug: str
    title: str
    difficulty: str
    modules: tuple[str, ...]
    prerequisites: tuple[str, ...]
    min_python: tuple[int, int]
    sources: tuple[str, ...]
    hints: tuple[str, ...]

    @property
    def topic(self) -> str:
        """The slug without its number: `03_coroutines` -> `coroutines`."""
        return self.slug.split("_", 1)[1]

    @property
    def supported_here(self) -> bool:
        return sys.version_info[:2] >= self.min_python

    @property
    def min_python_text(self) -> str:
        return ".".join(map(str, self.min_python))


class ManifestError(ValueError):
    """The manifest is malformed; the message says which entry and what to fix."""


def _parse_version(text: str, slug: str) -> tuple[int, int]:
    try:
        major, minor = (int(part) for part in text.split("."))
    except ValueError:
        raise ManifestError(f"{slug}: min_python must look like '3.11', not {text!r}") from None
    return major, minor


def load_manifest(path: Path = MANIFEST_PATH) -> list[Kata]:
    """Read and check the manifest; raises ManifestError naming the bad entry."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    katas = []
    for index, entry in enumerate(data.get("kata", []), start=1):
        slug = entry.get("slug", f"kata #{index}")
        missing = {"number", "slug", "title", "difficulty", "modules", "sources", "hints"} - set(
            entry
        )
        if missing:
            raise ManifestError(f"{slug}: missing field(s) {', '.join(sorted(missing))}")
        if entry["difficulty"] not in DIFFICULTIES:
            raise ManifestError(
                f"{slug}: difficulty must be one of {', '.join(DIFFICULTIES)}, "
                f"not {entry['difficulty']!r}"
            )
        katas.append(
            Kata(
                number=int(entry["number"]),
                slug=slug,
                title=entry["title"],
                difficulty=entry["difficulty"],
                modules=tuple(entry["modules"]),
                prerequisites=tuple(entry.get("prerequisites", ())),
                min_python=_parse_version(entry.get("min_python", "3.11"), slug),
                sources=tuple(entry["sources"]),
                hints=tuple(entry["hints"]),
            )
        )
    katas.sort(key=lambda k: k.number)
    slugs = [k.slug for k in katas]
    duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
    if duplicates:
        raise ManifestError(f"kata(s) listed twice: {', '.join(duplicates)}")
    for kata in katas:
        if not kata.slug.startswith(f"{kata.number:02d}_"):
            raise ManifestError(
                f"{kata.slug}: the slug must start with its number, {kata.number:02d}_"
            )
    return katas


def resolve_topics(names: list[str], katas: list[Kata]) -> list[Kata]:
    """Katas named by slug, number (`3`, `03`) or unique prefix (`corou`); all if none named.

    Raises ManifestError listing the valid names when one matches nothing or several.
    """
    if not names:
        return katas
    chosen: list[Kata] = []
    for name in names:
        matches = _matches(name.strip().rstrip("/").split("/")[-1], katas)
        if len(matches) != 1:
            problem = "matches no kata" if not matches else "is ambiguous"
            valid = "\n".join(f"  {k.number:>2}  {k.slug}" for k in katas)
            raise ManifestError(
                f"topic {name!r} {problem}. Name a kata by number, slug or a unique prefix:\n{valid}"
            )
        if matches[0] not in chosen:
            chosen.append(matches[0])
    return chosen


def _matches(name: str, katas: list[Kata]) -> list[Kata]:
    if name.isdigit():
        return [k for k in katas if k.number == int(name)]
    exact = [k for k in katas if name in (k.slug, k.topic)]
    if exact:
        return exact
    return [k for k in katas if k.slug.startswith(name) or k.topic.startswith(name)]
