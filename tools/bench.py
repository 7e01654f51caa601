"""Benchmarks of the commands people wait for, as medians over several runs, next to the
floor: a bare pytest run of one trivial test with the same plugins.

    python tools/bench.py [--runs 5] [--verify-runs 1]     (nox must be on PATH)

Targets on a 2-core machine: grading one kata within 2.5x the floor, all katas under 30 s,
`verify` under 3 minutes per Python version. Results are recorded in docs/measurements.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRADE_PYTHON = ROOT / ".nox" / "grade" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def median_of(runs: int, measure: Callable[[], float]) -> tuple[float, list[float]]:
    samples = [measure() for _ in range(runs)]
    return statistics.median(samples), samples


def floor_command(scratch: Path) -> list[str]:
    test = scratch / "test_trivial.py"
    test.write_text("def test_trivial() -> None:\n    assert True\n")
    return [
        str(GRADE_PYTHON),
        "-m",
        "pytest",
        "-c",
        str(ROOT / "pyproject.toml"),
        f"--rootdir={ROOT}",
        "-p",
        "katagrader.plugin",
        str(test),
        "-q",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--verify-runs", type=int, default=1, help="0 skips verify")
    parser.add_argument("--kata", default="03")
    args = parser.parse_args()
    nox = shutil.which("nox")
    if nox is None:
        print("nox is not on PATH: python3 -m pip install -r requirements/nox.txt")
        return 2

    subprocess.run([nox, "-s", "grade", "--", "--help"], cwd=ROOT, capture_output=True)  # warm
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "graders"),
        "PYTHONPYCACHEPREFIX": str(ROOT / ".katas" / "pycache"),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    rows: list[tuple[str, float, list[float]]] = []
    with tempfile.TemporaryDirectory() as scratch:
        command = floor_command(Path(scratch))
        timed(command, env)  # fill the bytecode cache once
        rows.append(
            (
                "floor: pytest, one trivial test, same plugins",
                *median_of(args.runs, lambda: timed(command, env)),
            )
        )

    grade_one = [nox, "-s", "grade", "--", args.kata, "--target", "solutions"]
    rows.append(
        (
            f"grade one kata ({args.kata}), warm venv",
            *median_of(args.runs, lambda: timed(grade_one)),
        )
    )

    def cold() -> float:
        with tempfile.TemporaryDirectory() as envdir:
            return timed([nox, "--envdir", envdir, *grade_one[1:]])

    rows.append(
        (f"grade one kata ({args.kata}), cold: new venv", *median_of(max(1, args.runs // 2), cold))
    )
    grade_all = [nox, "-s", "grade", "--", "--target", "solutions"]
    rows.append(
        ("grade all katas, warm venv", *median_of(max(1, args.runs // 2), lambda: timed(grade_all)))
    )
    if args.verify_runs:
        py = f"{sys.version_info[0]}.{sys.version_info[1]}"
        verify = [nox, "-s", f"verify-{py}"]
        rows.append((f"verify on Python {py}", *median_of(args.verify_runs, lambda: timed(verify))))

    floor = rows[0][1]
    print(
        f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"Date: {time.strftime('%Y-%m-%d')}\n")
    print("| what | median (s) | runs (s) | x floor |")
    print("| --- | --- | --- | --- |")
    for name, median, samples in rows:
        shown = ", ".join(f"{s:.2f}" for s in samples)
        print(f"| {name} | {median:.2f} | {shown} | {median / floor:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
