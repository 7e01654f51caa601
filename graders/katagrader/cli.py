"""Command line of the engine: `python -m katagrader grade|list ...` (nox calls these)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .console import Printer, print_result, print_summary
from .manifest import Kata, ManifestError, _matches, load_manifest, resolve_topics
from .progress import current_and_next, record_results
from .report import build_report, gradescope_results, markdown_table, write_json, write_junit
from .runner import DEFAULT_KATA_SECONDS, Status, run_katas
from .targets import REPO_ROOT, Target
from .workflow import reset, show_hint, show_progress, solution


def _grade(args: argparse.Namespace) -> int:
    out = Printer()
    try:
        katas = resolve(args.topics, load_manifest())
        target = Target.from_option(args.target)
    except (ManifestError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.submissions:
        return _grade_class(args, katas)
    extra = ["-v", "--tb=short"] if args.verbose else []
    results = run_katas(
        katas,
        target,
        jobs=args.jobs,
        seconds=args.seconds,
        extra_args=extra,
        memory_mb=args.memory_mb,
    )
    for result in results:
        print_result(out, result, verbose=args.verbose)
    print_summary(out, results)
    if args.report:
        write_json(build_report(results, target), Path(args.report))
    if args.junit:
        write_junit(results, Path(args.junit))
    if args.gradescope:
        Path(args.gradescope).write_text(json.dumps(gradescope_results(results), indent=2))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as summary:
            summary.write(markdown_table(results))
    if target.root == REPO_ROOT / "exercises":
        record_results(results)  # for `progress`, `solution` and `watch`
    ok = all(r.status in (Status.PASSED, Status.SKIPPED) for r in results)
    return 0 if ok else 1


def _grade_class(args: argparse.Namespace, katas: list[Kata]) -> int:
    """Batch mode: every submission in a folder, written to a gradebook (classmode.py)."""
    from .classmode import grade_class

    return grade_class(args, katas)


def resolve(names: list[str], katas: list[Kata]) -> list[Kata]:
    """`resolve_topics`, except that an ambiguous prefix lists only the katas it matches."""
    for name in names:
        matches = _matches(name.strip().rstrip("/").split("/")[-1], katas)
        if len(matches) > 1:
            listed = "\n".join(f"  {k.number:>2}  {k.slug}" for k in matches)
            raise ManifestError(
                f"topic {name!r} is ambiguous: it matches {len(matches)} katas:\n{listed}\n"
                "Name one of them by number, slug or a longer prefix."
            )
    return resolve_topics(names, katas)


def _one_kata(args: argparse.Namespace, *, current: bool = False) -> Kata | None:
    """The single kata a workflow command acts on (with `current`, the current kata when
    none is named), or None after printing why not."""
    katas = load_manifest()
    if not args.topics and current:
        found = current_and_next(katas)[0]
        if found is None:
            print("Every kata passes: nothing left to watch. Well done!", file=sys.stderr)
        return found
    if len(args.topics) != 1:
        print(f"error: name exactly one kata, e.g. `nox -s {args.command} -- 03`", file=sys.stderr)
        return None
    try:
        return resolve(args.topics, katas)[0]
    except ManifestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _progress(args: argparse.Namespace) -> int:
    show_progress(Printer(), load_manifest())
    return 0


def _hint(args: argparse.Namespace) -> int:
    kata = _one_kata(args)
    if kata is None:
        return 2
    show_hint(Printer(), kata)
    return 0


def _reset(args: argparse.Namespace) -> int:
    kata = _one_kata(args)
    return 2 if kata is None else reset(Printer(), kata, Target.from_option(args.target))


def _solution(args: argparse.Namespace) -> int:
    kata = _one_kata(args)
    if kata is None:
        return 2
    return solution(Printer(), kata, Target.from_option(args.target), full=args.full)


def _watch(args: argparse.Namespace) -> int:
    from .watch import watch_kata  # watchfiles is only needed here

    kata = _one_kata(args, current=True)
    if kata is None:
        return 0 if not args.topics else 2
    return watch_kata(Printer(), kata, Target.from_option(args.target))


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
    grade.add_argument(
        "--jobs",
        type=int,
        default=0,
        help="katas graded at once (default: cores; with --submissions, three per core)",
    )
    grade.add_argument(
        "--seconds", type=float, default=DEFAULT_KATA_SECONDS, help="time limit per kata"
    )
    grade.add_argument("--report", metavar="PATH", help="write the results as JSON (see schema)")
    grade.add_argument("--junit", metavar="PATH", help="write the results as JUnit XML")
    grade.add_argument("--gradescope", metavar="PATH", help="write Gradescope's results.json")
    grade.add_argument("--memory-mb", type=int, default=None, help="memory cap per kata (POSIX)")
    grade.add_argument(
        "--submissions", metavar="DIR", help="grade every submission folder in DIR (a class)"
    )
    grade.add_argument(
        "--out", default="gradebook", help="where --submissions writes the gradebook"
    )
    grade.add_argument(
        "--no-sandbox",
        action="store_true",
        help="with --submissions: grade without the bubblewrap sandbox (trusted code only)",
    )
    grade.add_argument("-v", "--verbose", action="store_true", help="show pytest's full output")
    grade.set_defaults(run=_grade)

    listing = commands.add_parser("list", help="list the katas in order")
    listing.set_defaults(run=_list)

    progress = commands.add_parser("progress", help="table of katas passed, failing, not started")
    progress.set_defaults(run=_progress)

    for name, run, text in [
        ("hint", _hint, "show the next hint for a kata"),
        ("reset", _reset, "restore a kata's stub (your file is backed up first)"),
        ("solution", _solution, "show the reference solution once the kata passes"),
        ("watch", _watch, "the guided session: grade on every save (default: current kata)"),
    ]:
        command = commands.add_parser(name, help=text)
        command.add_argument("topics", nargs="*", help="kata number, slug or unique prefix")
        if name != "hint":
            command.add_argument("--target", default="exercises", help=argparse.SUPPRESS)
        if name == "solution":
            command.add_argument(
                "--full", action="store_true", help="also print the whole reference file"
            )
        command.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code
