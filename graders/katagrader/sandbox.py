"""The OS sandbox around one (submission, kata) run in class mode: bubblewrap.

Inside the sandbox the run sees a minimal file system: the system's /usr and /etc, the
Python installation and the grading venv, the engine and graders (all read-only), and its
own run folder (the only writable place):

    /kata/submission/NN_topic/   the copy of this one kata of this one submission
    /kata/pycache/               the batch's bytecode cache, built fresh for the batch by
                                 trusted runs only, read-only to every submission
    /kata/report/                where pytest writes its report

No `solutions/`, no other submission, no gradebook, no home folder, no network; its own
PID, IPC and UTS namespaces, so it can neither see nor signal other runs and everything
it starts dies with it (`--die-with-parent`, and the kernel kills a PID namespace with its
first process). rlimits (prlimit, util-linux) cap memory, processes, file size (which
caps its output too) and open files. Run as root (a CI machine), each run also drops to a
user id of its own, because the kernel never enforces the process cap for root.

This is bubblewrap, an existing, audited tool; the engine only chooses what to bind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .targets import REPO_ROOT

INSIDE = Path("/kata")
INSIDE_TARGET = INSIDE / "submission"
INSIDE_PYCACHE = INSIDE / "pycache"
INSIDE_REPORT = INSIDE / "report"
# One uid per concurrent run when grading as root: RLIMIT_NPROC counts per user, so two
# runs (of this batch, or of another batch graded at the same time) must never share one.
# This process's id keeps batches apart: no two live processes have the same.
MAX_SLOTS = 128
_UID_BASE = 100_000_000 + os.getpid() * MAX_SLOTS
OUTPUT_CAP_BYTES = 16 * 1024 * 1024  # RLIMIT_FSIZE: any one file, the captured output too
PROCESS_CAP = 256  # threads count as processes for RLIMIT_NPROC
OPEN_FILES_CAP = 1024
TMP_BYTES = 64 * 1024 * 1024


class SandboxUnavailable(RuntimeError):
    """No working sandbox here; the message says why and what to do."""


@dataclass(frozen=True)
class RunLimits:
    memory_mb: int
    output_bytes: int = OUTPUT_CAP_BYTES
    processes: int = PROCESS_CAP


@dataclass(frozen=True)
class RunDirs:
    """The outside paths of one run's folder (bound at /kata inside)."""

    root: Path

    @property
    def target(self) -> Path:
        return self.root / "submission"

    @property
    def pycache(self) -> Path:
        return self.root / "pycache"

    @property
    def report(self) -> Path:
        return self.root / "report"


def _python_roots() -> list[Path]:
    """The folders the interpreter needs: the venv and the installation it comes from."""
    roots = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    roots.add(Path(sys.executable).resolve().parent.parent)
    return sorted(roots)


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    if Path("/etc").is_dir():
        args += ["--ro-bind", "/etc", "/etc"]
    return args


def _engine_binds() -> list[str]:
    paths = [*_python_roots()]
    paths += [REPO_ROOT / n for n in ("graders", "pyproject.toml", "conftest.py", "katas.toml")]
    paths = [p for p in paths if p.exists()]
    # bwrap run as root makes the folders leading to a bind mode 0700; the run's own user
    # must be able to walk through them.
    parents = sorted(
        {a for p in paths for a in p.parents if a != Path("/")}, key=lambda a: len(a.parts)
    )
    args = [part for a in parents for part in ("--perms", "0755", "--dir", str(a))]
    for path in paths:
        args += ["--ro-bind", str(path), str(path)]
    return args


def run_uid(slot: int) -> int:
    """The user id of the run in `slot` (0 <= slot < MAX_SLOTS) when grading as root."""
    if not 0 <= slot < MAX_SLOTS:
        raise ValueError(f"at most {MAX_SLOTS} runs at once, not slot {slot}")
    return _UID_BASE + slot


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def wrap(
    command: Sequence[str],
    run: RunDirs,
    limits: RunLimits,
    *,
    slot: int = 0,
    env: dict[str, str] | None = None,
    cache: Path | None = None,
    cache_writable: bool = False,
) -> list[str]:
    """`command` (paths as seen inside) run in the sandbox over `run`'s folder, with
    `cache` as its bytecode cache (read-only unless `cache_writable`)."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxUnavailable("bwrap is not installed")
    namespaces = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    namespaces.append("--unshare-cgroup-try")
    drop: list[str] = []
    if _as_root():
        uid = str(run_uid(slot))
        drop = [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
        ]
    else:
        namespaces.insert(0, "--unshare-user")
        namespaces.append("--disable-userns")
    variables = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(REPO_ROOT / "graders"),
        "PYTHONPYCACHEPREFIX": str(INSIDE_PYCACHE),
        "PYTHONSAFEPATH": "1",
        "PYTHONNOUSERSITE": "1",
        **(env or {}),
    }
    setenv = [part for key, value in variables.items() for part in ("--setenv", key, value)]
    prlimit = [
        "prlimit",
        f"--as={limits.memory_mb * 1024 * 1024}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.output_bytes}",
        f"--nofile={OPEN_FILES_CAP}",
        "--core=0",
        "--",
    ]
    return [
        bwrap,
        *namespaces,
        "--die-with-parent",
        "--new-session",
        *_system_binds(),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        "--size",
        str(TMP_BYTES),
        "--tmpfs",
        "/tmp",
        "--perms",
        "1777",
        "--size",
        str(TMP_BYTES),
        "--tmpfs",
        "/dev/shm",  # multiprocessing's semaphores
        *_engine_binds(),
        "--bind",
        str(run.root),
        str(INSIDE),
        *(
            [("--bind" if cache_writable else "--ro-bind"), str(cache), str(INSIDE_PYCACHE)]
            if cache
            else []
        ),
        "--chdir",
        str(INSIDE_TARGET),
        "--clearenv",
        *setenv,
        *drop,
        *prlimit,
        *command,
    ]


def prepare_run_dirs(run: RunDirs, *, slot: int) -> None:
    """The run's folder (the bytecode cache is mounted over `pycache/`), owned by the
    run's own user when grading as root."""
    run.report.mkdir(parents=True, exist_ok=True)
    run.pycache.mkdir(parents=True, exist_ok=True)
    run.target.mkdir(parents=True, exist_ok=True)
    if _as_root():
        # The folder itself stays root's, so a run cannot swap its report folder for a
        # symbolic link; what is inside is the run's own.
        uid = run_uid(slot)
        for path in run.root.rglob("*"):
            os.lchown(path, uid, uid)


def probe() -> str | None:
    """None when the sandbox works here, else the reason it does not."""
    if sys.platform != "linux":
        return f"bubblewrap sandboxes need Linux (this is {sys.platform})"
    if bwrap_path() is None:
        return (
            "bubblewrap (bwrap) is not installed; on Debian or Ubuntu: apt-get install bubblewrap"
        )
    for tool in ("prlimit", "setpriv") if _as_root() else ("prlimit",):
        if shutil.which(tool) is None:
            return f"{tool} (util-linux) is not installed"
    import tempfile

    with tempfile.TemporaryDirectory(prefix="katas-probe-") as scratch:
        run = RunDirs(Path(scratch))
        prepare_run_dirs(run, slot=0)
        command = wrap(
            [sys.executable, "-c", "import sys; sys.exit(0)"], run, RunLimits(memory_mb=1024)
        )
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap could not run: {exc}"
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        return "bwrap could not start a sandbox here" + (f": {detail[-1]}" if detail else "")
    return None
