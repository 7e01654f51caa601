"""Command line of the engine: `python -m katagrader grade|list ...` (nox calls these)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .console import Printer, print_result, print_summary
from .manifest import ManifestError, load_manifest, resolve_topics
from .runner import DEFAULT_KATA_SECONDS, Status, run_katas
from .targets import Target


def _grade(args: argparse.Namespace) -> int:
    out = Printer()
    try:
        katas = resolve_topics(args.topics, load_manifest())
        target = Target.from_option(args.target)
    except (ManifestError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    extra = ["-v", "--tb=short"] if args.verbose else []
    results = run_katas(katas, target, jobs=args.jobs, seconds=args.seconds, extra_args=extra)
    for result in results:
        print_result(out, result, verbose=args.verbose)
    if len(results) > 1:
        print_summary(out, results)
    if args.json:
        payload = [
            {"kata": r.kata.slug, "status": str(r.status), "summary": r.summary, "tests": r.tests}
            for r in results
        ]
        Path(args.json).write_text(json.dumps(payload, indent=2), encoding="utf-8")
    ok = all(r.status in (Status.PASSED, Status.SKIPPED) for r in results)
    return 0 if ok else 1


def _list(args: argparse.Namespace) -> int:
    for kata in load_manifest():
        print(f"{kata.number:>2}  {kata.slug:<28} {kata.difficulty:<7} {kata.title}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="katagrader", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade katas (all when none is named)")
    grade.add_argument("topics", nargs="*", help="kata number, slug or unique prefix")
    grade.add_argument("--target", default="exercises", help="exercises, solutions or a directory")
    grade.add_argument("--jobs", type=int, default=0, help="katas graded at once (default: cores)")
    grade.add_argument(
        "--seconds", type=float, default=DEFAULT_KATA_SECONDS, help="time limit per kata"
    )
    grade.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    grade.add_argument("-v", "--verbose", action="store_true", help="show pytest's full output")
    grade.set_defaults(run=_grade)

    listing = commands.add_parser("list", help="list the katas in order")
    listing.set_defaults(run=_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code
