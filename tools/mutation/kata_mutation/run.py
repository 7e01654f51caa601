"""One kata's mutation run: a scratch copy, a cosmic-ray session, the grades, the report.

The repository's files are never mutated: the kata's solution is copied into
`.katas/mutation/<slug>/w<N>/tree/<slug>/` (one copy per worker), cosmic-ray's module
paths and the grading `--target` point at that copy, and cosmic-ray restores each file
after each mutant. The session (`session.sqlite`) stays there for `cr-report` / `cr-html`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from cosmic_ray.config import serialize_config
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome

from katagrader.manifest import Kata
from katagrader.runner import DEFAULT_KATA_SECONDS
from katagrader.targets import REPO_ROOT

from . import grade as grading
from .mutants import Mutant, Plan, family, inputs_digest, plan_session

SCRATCH = REPO_ROOT / ".katas" / "mutation"
SCORES = REPO_ROOT / "docs" / "mutation"
FAMILIES = ("standard", "asyncio")
OUTCOMES = ("killed", "equivalent", "survived", "crashed")


@dataclass
class Outcome:
    mutant: Mutant
    verdict: str  # killed, survived, crashed, equivalent
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class KataRun:
    kata: Kata
    plan: Plan
    outcomes: list[Outcome]
    wall_seconds: float
    jobs: int
    operators: str
    baseline_seconds: float

    def counts(self, which: str) -> dict[str, int]:
        chosen = [o for o in self.outcomes if o.mutant.family == which]
        tally = Counter(o.verdict for o in chosen)
        return {"mutants": len(chosen), **{k: tally.get(k, 0) for k in OUTCOMES}}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _http_workers(dirs: list[Path]) -> Iterator[list[str]]:
    """cosmic-ray HTTP workers, one per scratch copy (each mutates only its own copy)."""
    procs: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for directory in dirs:
            port = _free_port()
            log = (directory / "worker.log").open("wb")
            procs.append(
                subprocess.Popen(
                    [_cosmic_ray(), "http-worker", "--port", str(port)],
                    cwd=directory,
                    env=_child_env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            _wait_for_port(int(url.rsplit(":", 1)[1]))
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_for_port(port: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the cosmic-ray worker on port {port} did not start")
        time.sleep(0.1)


def _child_env() -> dict[str, str]:
    """cosmic-ray's processes run the grading command, `python -m kata_mutation.grade`:
    this package and the engine must be importable there whether the package is installed
    (`nox -s mutate`) or only on the path (the tests)."""
    paths = [str(Path(__file__).resolve().parents[1]), str(REPO_ROOT / "graders")]
    inherited = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([*paths, *([inherited] if inherited else [])]),
    }


def _cosmic_ray() -> str:
    return str(Path(sys.executable).with_name("cosmic-ray"))


def _result_of(mutant: Mutant, result: Any) -> Outcome:
    if mutant.is_equivalent:
        return Outcome(mutant, "equivalent", {"reason": mutant.skipped})
    if result is None:
        return Outcome(mutant, "crashed", {"summary": "cosmic-ray recorded no result"})
    output = result.output or ""
    if result.worker_outcome is not WorkerOutcome.NORMAL:
        return Outcome(
            mutant,
            "crashed",
            {
                "summary": f"cosmic-ray worker: {result.worker_outcome.value}",
                "output_tail": output[-1500:],
            },
        )
    if result.test_outcome is TestOutcome.KILLED and output == "timeout":
        # cosmic-ray's own limit, a backstop above the kata's: the mutant hung.
        return Outcome(mutant, "killed", {"kind": "timeout", "summary": "cosmic-ray's time limit"})
    for line in reversed(output.splitlines()):
        if line.startswith(grading.MARKER):
            detail = json.loads(line[len(grading.MARKER) :])
            return Outcome(mutant, str(detail.pop("verdict")), detail)
    return Outcome(
        mutant,
        "crashed",
        {"summary": "the grading command printed no verdict", "output_tail": output[-1500:]},
    )


@contextlib.contextmanager
def _exclusive(kata: Kata) -> Iterator[None]:
    """One run per kata at a time: a second would delete the first one's scratch copy."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    with (SCRATCH / f"{kata.slug}.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(
                f"{kata.slug}: another `nox -s mutate` run of this kata is in progress; "
                "wait for it to finish."
            ) from None
        yield


def mutate_kata(kata: Kata, *, jobs: int = 1, operators: str = "all", echo: Any = print) -> KataRun:
    with _exclusive(kata):
        return _mutate_kata(kata, jobs=jobs, operators=operators, echo=echo)


def _mutate_kata(kata: Kata, *, jobs: int, operators: str, echo: Any) -> KataRun:
    started = time.monotonic()
    scratch = SCRATCH / kata.slug
    shutil.rmtree(scratch, ignore_errors=True)
    workers = [scratch / f"w{n}" for n in range(max(1, jobs))]
    for directory in workers:
        shutil.copytree(REPO_ROOT / "solutions" / kata.slug, directory / "tree" / kata.slug)
    session = scratch / "session.sqlite"
    with use_db(str(session)) as database:
        plan = plan_session(kata, workers[0] / "tree", database, operators=operators)
    for broken in plan.broken:
        echo(f"  note: an operator failed to apply, no mutant: {broken}")
    if plan.unmatched:
        for entry in plan.unmatched:
            echo(f"  warning: {entry.where} matches no mutant of this run (stale?)")
    graded = plan.graded
    echo(
        f"{kata.slug}: {len(graded)} mutants to grade "
        f"({sum(m.family == 'asyncio' for m in graded)} asyncio), "
        f"{sum(m.is_equivalent for m in plan.mutants)} listed as equivalent"
    )
    # Baseline: the unmutated copy must pass, and its time sets the per-mutant limit.
    base = grading.grade(kata.slug, workers[0] / "tree", DEFAULT_KATA_SECONDS, fail_fast=False)
    if base["verdict"] != "survived":  # once more: a loaded machine can fail a timing check
        echo(f"  the unmutated solution failed its grader ({base.get('summary')}); again:")
        base = grading.grade(kata.slug, workers[0] / "tree", DEFAULT_KATA_SECONDS, False)
    if base["verdict"] != "survived":
        raise RuntimeError(
            f"{kata.slug}: the unmutated solution does not pass its grader, so no mutant can "
            f"be judged: {base.get('summary')}"
        )
    seconds = min(DEFAULT_KATA_SECONDS, max(60.0, 3 * float(base["seconds"]) + 30))
    command = (
        f"{sys.executable} -m kata_mutation.grade {kata.slug} --tree tree --seconds {seconds:g}"
    )
    config: dict[str, Any] = {
        "module-path": f"tree/{kata.slug}",
        "timeout": seconds + 60,  # a backstop: the kata's own limit stops a hang first
        "excluded-modules": [],
        "test-command": command,
        "distributor": {"name": "local"},
    }
    if graded:
        with contextlib.ExitStack() as stack:
            if len(workers) > 1:
                urls = stack.enter_context(_http_workers(workers))
                config["distributor"] = {"name": "http", "http": {"worker-urls": urls}}
            config_path = scratch / "cosmic-ray.toml"
            config_path.write_text(serialize_config(config), encoding="utf-8")
            done = subprocess.run(
                [_cosmic_ray(), "exec", str(config_path), str(session)],
                cwd=workers[0],
                env=_child_env(),
            )
            if done.returncode != 0:  # its mutants without a result are reported as crashed
                echo(f"  cosmic-ray exec ended with status {done.returncode}")
    with use_db(str(session), mode=WorkDB.Mode.open) as database:
        results = {job_id: result for job_id, result in database.results}
    outcomes = [
        _result_of(m, results.get(m.job_id))
        for m in plan.mutants
        if m.skipped is None or m.is_equivalent
    ]
    return KataRun(
        kata,
        plan,
        outcomes,
        round(time.monotonic() - started, 1),
        len(workers),
        operators,
        float(base["seconds"]),
    )


# ---------------------------------------------------------------------------------------
# Reports


def score(counts: dict[str, int]) -> float | None:
    """Killed as a share of the non-equivalent mutants (crashed ones count as not killed)."""
    judged = counts["mutants"] - counts["equivalent"]
    return counts["killed"] / judged if judged else None


def print_report(run: KataRun, echo: Any = print) -> None:
    echo(
        f"\n=== {run.kata.slug}: mutation report ({run.wall_seconds:.0f} s, {run.jobs} worker(s)) ==="
    )
    echo(
        f"{'operators':<10} {'mutants':>7} {'killed':>7} {'equiv.':>7} {'survived':>8} {'crashed':>7} {'score':>6}"
    )
    for which in FAMILIES:
        c = run.counts(which)
        s = score(c)
        echo(
            f"{which:<10} {c['mutants']:>7} {c['killed']:>7} {c['equivalent']:>7} "
            f"{c['survived']:>8} {c['crashed']:>7} {'-' if s is None else f'{s:.0%}':>6}"
        )
    for outcome in run.outcomes:
        if outcome.verdict not in ("survived", "crashed"):
            continue
        m = outcome.mutant
        echo(
            f"\n{outcome.verdict.upper()}: {m.id.operator} at solutions/{run.kata.slug}/{m.id.file}:{m.line}"
        )
        if outcome.verdict == "crashed":
            echo(f"  {outcome.detail.get('summary', '')}")
        echo(m.diff)
    survivors = sum(o.verdict == "survived" for o in run.outcomes)
    if survivors:
        echo(
            f"\n{survivors} survivor(s): kill each with a sharper grader test, or list it in "
            f"graders/{run.kata.slug}/equivalent_mutants.toml with a reason (docs/mutation.md)."
        )


def record(run: KataRun) -> Path:
    """The machine-readable result, committed as the kata's recorded score."""
    SCORES.mkdir(parents=True, exist_ok=True)
    path = SCORES / f"{run.kata.slug}.json"
    data = {
        "kata": run.kata.slug,
        "command": f"nox -s mutate -- {run.kata.number:02d}",
        "operators": run.operators,
        "cosmic_ray": version("cosmic-ray"),
        "python": platform.python_version(),
        "jobs": run.jobs,
        "wall_seconds": run.wall_seconds,
        "baseline_seconds": run.baseline_seconds,
        "inputs": inputs_digest(run.kata),
        "stale_equivalents": [e.where for e in run.plan.unmatched],
        "scores": {which: run.counts(which) for which in FAMILIES},
        "mutants": [
            {
                **o.mutant.id.as_dict(),
                "line": o.mutant.line,
                "family": family(o.mutant.id.operator),
                "outcome": o.verdict,
                **{
                    k: v
                    for k, v in o.detail.items()
                    if k in ("test", "kind", "reason", "summary", "seconds")
                },
            }
            for o in sorted(
                run.outcomes, key=lambda o: (o.mutant.id.file, o.mutant.line, o.mutant.id.operator)
            )
        ],
    }
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
