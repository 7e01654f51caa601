"""`nox -s mutate -- [KATA...] [options]`: mutation-test the graders (docs/mutation.md).

nox -s mutate -- 05                 # every operator on kata 05; records docs/mutation/05_*.json
nox -s mutate                       # every kata
nox -s mutate -- 05 --operators asyncio --no-record
nox -s mutate -- --check            # equivalents and recorded scores still match the code
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from katagrader.manifest import Kata, ManifestError, load_manifest, resolve_topics
from katagrader.targets import REPO_ROOT

from . import check as checking
from .run import mutate_kata, print_report, record


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nox -s mutate --", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("katas", nargs="*", help="by number, slug or prefix; none: every kata")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        help="grading processes at once (cosmic-ray HTTP workers for one kata, katas side "
        "by side for several); at most 2 on a shared 2-core machine",
    )
    parser.add_argument(
        "--operators",
        default="all",
        help="all (default), asyncio, standard, or a regular expression on operator names",
    )
    parser.add_argument(
        "--no-record",
        action="store_true",
        help="do not write docs/mutation/<kata>.json (implied unless --operators all)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="grade nothing: check that every equivalents entry matches a mutant and that "
        "the recorded scores and docs/measurements.md match the mutants the code has now",
    )
    parser.add_argument(
        "--table", action="store_true", help="print the scores table of docs/measurements.md"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        katas = resolve_topics(args.katas, load_manifest())
    except ManifestError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.table:
        print(checking.scores_table())
        return 0
    if args.check:
        return checking.main(katas)
    katas = [k for k in katas if k.supported_here]
    if len(katas) > 1 and args.jobs > 1:
        return _side_by_side(katas, args)
    keep = not args.no_record and args.operators == "all"
    unresolved = 0
    for kata in katas:
        try:
            run = mutate_kata(kata, jobs=args.jobs, operators=args.operators)
        except RuntimeError as exc:  # a solution failing its grader, a run already going
            print(f"not mutation-tested: {exc}", flush=True)
            unresolved += 1
            continue
        print_report(run)
        if keep:
            print(f"recorded {record(run).relative_to(REPO_ROOT)}")
        unresolved += sum(o.verdict in ("survived", "crashed") for o in run.outcomes)
        sys.stdout.flush()
    return 1 if unresolved else 0


def _side_by_side(katas: list[Kata], args: argparse.Namespace) -> int:
    """Several katas, `--jobs` at a time, each in a process of its own (cosmic-ray reads
    the modules relative to the working directory, which a thread cannot have alone);
    each kata's report is printed whole when it is done."""
    options = ["--operators", args.operators] + (["--no-record"] if args.no_record else [])

    def one(kata: Kata) -> int:
        done = subprocess.run(
            [sys.executable, "-m", "kata_mutation", kata.slug, *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        print(done.stdout, end="", flush=True)
        return done.returncode

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        statuses = list(pool.map(one, katas))
    return max(statuses, default=0)


if __name__ == "__main__":
    sys.exit(main())
