"""Flake budget: grade every kata against the reference solutions K times, optionally with
a CPU hog busy on another core, and report each test that ever failed.

    python tools/soak.py --rounds 20 --hog          (inside the grade environment, e.g.
    .nox/grade/bin/python tools/soak.py ...; PYTHONPATH=graders is set for you)

The target is zero failures. Results are recorded in docs/measurements.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "graders"))

from katagrader.manifest import load_manifest, resolve_topics  # noqa: E402
from katagrader.runner import Status, run_katas  # noqa: E402
from katagrader.targets import Target  # noqa: E402

HOG = "while True: pass"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topics", nargs="*", help="katas to soak (default: all)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--hog", action="store_true", help="keep a CPU-bound process running")
    parser.add_argument("--jobs", type=int, default=1, help="katas graded at once")
    parser.add_argument("--json", type=Path, help="write the per-test counts here")
    args = parser.parse_args()

    katas = resolve_topics(args.topics, load_manifest())
    katas = [k for k in katas if k.supported_here]
    target = Target(ROOT / "solutions")
    hog = subprocess.Popen([sys.executable, "-c", HOG]) if args.hog else None
    passes: collections.Counter[str] = collections.Counter()
    failures: dict[str, list[str]] = collections.defaultdict(list)
    crashed: list[str] = []
    started = time.monotonic()
    try:
        for round_number in range(1, args.rounds + 1):
            for result in run_katas(katas, target, jobs=args.jobs):
                if result.status is Status.CRASHED:
                    crashed.append(f"round {round_number}: {result.kata.slug}: {result.summary}")
                for test in result.tests:
                    name = f"{result.kata.slug}::{test['test']}"
                    if test["outcome"] == "passed":
                        passes[name] += 1 if test["phase"] == "call" else 0
                    else:
                        failures[name].append(f"round {round_number}: {test['message'][:300]}")
            bad = sum(len(v) for v in failures.values()) + len(crashed)
            print(f"round {round_number}/{args.rounds}: {bad} failure(s) so far", flush=True)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()

    elapsed = time.monotonic() - started
    print(
        f"\n{len(katas)} katas x {args.rounds} rounds, hog={'on' if args.hog else 'off'}, "
        f"Python {platform.python_version()}, {elapsed:.0f} s"
    )
    for name, messages in sorted(failures.items()):
        print(f"FLAKY {name}: {len(messages)} failure(s)")
        for message in messages[:3]:
            print(f"    {message}")
    for line in crashed:
        print(f"CRASHED {line}")
    if args.json:
        args.json.write_text(
            json.dumps({"passes": passes, "failures": failures, "crashed": crashed}, indent=2)
        )
    failed_runs = sum(len(v) for v in failures.values()) + len(crashed)
    print(f"{sum(passes.values())} passed, {failed_runs} failed")
    return 1 if failed_runs else 0


if __name__ == "__main__":
    sys.exit(main())
