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
    parser.add_argument(
        "--class-grading",
        action="store_true",
        help="only the class-grading throughput, with and without the sandbox (bench_class)",
    )
    parser.add_argument("--students", type=int, default=4, help="with --class-grading")
    parser.add_argument("--jobs", type=int, default=0, help="with --class-grading")
    parser.add_argument(
        "--class-katas", nargs="*", default=[], help="with --class-grading: these katas only"
    )
    parser.add_argument(
        "--learner",
        action="store_true",
        help="only the learner's loop (watch, grade, blocked loop), interleaved with the floor",
    )
    args = parser.parse_args()
    if args.class_grading:
        return bench_class(args.students, max(1, args.runs), args.jobs, args.class_katas)
    if args.learner:
        from bench_learner import bench_learner

        return int(bench_learner(max(1, args.runs)))
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


def bench_class(students: int, rounds: int, jobs: int, topics: list[str] | None = None) -> int:
    """Kata runs per second when grading a class of `students` copies of solutions/ on
    every kata, sandboxed and not, in one run (`.nox/grade/bin/python tools/bench.py
    --class-grading`): the two modes alternate (ABBA...), so a
    neighbour's load on a shared machine falls on both alike. Prints a Markdown table."""
    # This interpreter (run the benchmark with the grade venv's), this checkout's engine.
    grade = [sys.executable, "-m", "katagrader", "grade"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "graders")}
    topics = topics or []
    katas = len(topics) or len(list((ROOT / "solutions").glob("[0-9][0-9]_*")))
    samples: dict[str, list[float]] = {"sandboxed": [], "no sandbox": []}
    verdicts: dict[str, list[str]] = {"sandboxed": [], "no sandbox": []}
    with tempfile.TemporaryDirectory(prefix="bench-class-") as scratch:
        submissions = Path(scratch) / "submissions"
        for n in range(students):
            shutil.copytree(ROOT / "solutions", submissions / f"student{n:02d}")
        # Fill the class cache (.katas/class-cache: the reference solutions graded once per
        # engine and graders version) before timing, and report what that costs.
        one = Path(scratch) / "one"
        shutil.copytree(ROOT / "solutions", one / "student")
        warm_up = [*grade, *topics, f"--submissions={one}", "--out", str(Path(scratch) / "w")]
        warm = timed(warm_up, env)
        modes = ["sandboxed", "no sandbox"]
        order = [m for r in range(rounds) for m in (modes if r % 2 == 0 else modes[::-1])]
        for number, mode in enumerate(order):
            out = Path(scratch) / f"out{number}"
            command = [*grade, *topics, f"--submissions={submissions}", f"--out={out}"]
            command += [f"--jobs={jobs}"] if jobs else []
            command += ["--no-sandbox"] if mode == "no sandbox" else []
            samples[mode].append(timed(command, env))
            with (out / "students.csv").open(encoding="utf-8") as handle:
                passed = sum(int(line.split(",")[2]) for line in list(handle)[1:])
            verdicts[mode].append(f"{passed}/{students * katas}")
    runs = students * katas
    print(
        f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"Date: {time.strftime('%Y-%m-%d %H:%M')}; {students} students x {katas} katas, ")
    sys.path.insert(0, str(ROOT / "graders"))
    from katagrader.classmode import CLASS_JOBS_PER_CORE

    default_jobs = f"{CLASS_JOBS_PER_CORE * (os.cpu_count() or 1)} (class mode's default)"
    print(f"jobs={jobs or default_jobs}, order {', '.join(order)}\n")
    print("| mode | median (s) | runs (s) | kata runs/s | katas passed |")
    print("| --- | --- | --- | --- | --- |")
    medians = {}
    for mode in modes:
        medians[mode] = statistics.median(samples[mode])
        shown = ", ".join(f"{s:.1f}" for s in samples[mode])
        rate = runs / medians[mode]
        print(
            f"| {mode} | {medians[mode]:.1f} | {shown} | {rate:.2f} | {', '.join(verdicts[mode])} |"
        )
    print(f"\nWarm-up (not counted): one student, class cache built first: {warm:.1f} s")
    cost = medians["sandboxed"] / medians["no sandbox"] - 1
    print(
        f"\nSandbox cost: {cost:+.1%} (target <= 15 %); sandboxed {runs / medians['sandboxed']:.2f} runs/s (target >= 1.5)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
