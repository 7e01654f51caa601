"""mypy --strict over the engine, the solutions, the graders and the tests.

Kata folders are not packages (their names start with digits) and different katas may
both have, say, `client.py`; mypy rejects two modules of the same name in one run, so the
files are checked in as few runs as keep every module name unique.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def files_to_check() -> list[Path]:
    files = [ROOT / "noxfile.py", *sorted((ROOT / "tools").glob("*.py"))]
    files += sorted((ROOT / "tests").glob("*.py"))
    files += sorted((ROOT / "solutions").glob("[0-9][0-9]_*/*.py"))
    files += sorted((ROOT / "graders").glob("[0-9][0-9]_*/test_*.py"))
    return files


def batches(files: list[Path]) -> list[list[Path]]:
    groups: list[list[Path]] = []
    for path in files:
        for group in groups:
            if all(other.stem != path.stem for other in group):
                group.append(path)
                break
        else:
            groups.append([path])
    return groups


def main() -> int:
    status = subprocess.call([sys.executable, "-m", "mypy", "-p", "katagrader"], cwd=ROOT)
    for group in batches(files_to_check()):
        command = [sys.executable, "-m", "mypy", *(str(p.relative_to(ROOT)) for p in group)]
        status |= subprocess.call(command, cwd=ROOT)
    return status


if __name__ == "__main__":
    sys.exit(main())
