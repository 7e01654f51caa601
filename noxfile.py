"""Sessions for learners (grade, and the workflow around it), maintainers (verify) and CI.

`nox -s grade -- 03` grades one kata; `nox -s verify` is the project's test command.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["grade"]

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
PYTHONS = ["3.11", "3.12", "3.13"]
# The engine is imported from graders/ rather than installed: no install step per run.
ENV = {"PYTHONPATH": str(ROOT / "graders"), "UV_COMPILE_BYTECODE": "1"}


def install_group(session: nox.Session, group: str) -> None:
    """Install a dependency group (pinned by the constraints file), skipping the installer
    when this environment already has exactly that set: a warm `grade` costs no install."""
    requirements = nox.project.dependency_groups(PYPROJECT, group)
    digest = hashlib.sha256(
        "\n".join([*requirements, CONSTRAINTS.read_text(encoding="utf-8")]).encode()
    ).hexdigest()
    stamp = Path(session.virtualenv.location) / f".katas-{group}.sha256"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == digest:
        return
    session.install(*requirements, "-c", str(CONSTRAINTS), env={"UV_COMPILE_BYTECODE": "1"})
    stamp.write_text(digest, encoding="utf-8")


def katagrader(session: nox.Session, *args: str) -> None:
    session.run("python", "-m", "katagrader", *args, env=ENV)


@nox.session
def grade(session: nox.Session) -> None:
    """Grade katas: `nox -s grade -- 03` (by number, slug or prefix); none named grades all."""
    install_group(session, "grade")
    katagrader(session, "grade", *session.posargs)


@nox.session(name="list")
def list_katas(session: nox.Session) -> None:
    """List the katas in order."""
    install_group(session, "grade")
    katagrader(session, "list")


@nox.session
def progress(session: nox.Session) -> None:
    """Show which katas pass, fail or are not started, and the one to do next."""
    install_group(session, "grade")
    katagrader(session, "progress")


@nox.session
def hint(session: nox.Session) -> None:
    """The hints seen for a kata plus the next one: `nox -s hint -- 03`."""
    install_group(session, "grade")
    katagrader(session, "hint", *session.posargs)


@nox.session
def watch(session: nox.Session) -> None:
    """The guided session: grades the current kata on every save, keys for the rest (q quits)."""
    install_group(session, "grade")
    katagrader(session, "watch", *session.posargs)


@nox.session
def reset(session: nox.Session) -> None:
    """Restore a kata's stub: `nox -s reset -- 03` (your file is backed up first)."""
    install_group(session, "grade")
    katagrader(session, "reset", *session.posargs)


@nox.session
def solution(session: nox.Session) -> None:
    """How your file differs from the reference, once it passes (`-- 03 --full`: the file)."""
    install_group(session, "grade")
    katagrader(session, "solution", *session.posargs)


@nox.session(python=PYTHONS)
def verify(session: nox.Session) -> None:
    """The project's tests: every solution passes, every stub is "not started", every pitfall
    is rejected by its check, the layout matches the manifest, and the engine's own tests."""
    install_group(session, "test")
    jobs = os.environ.get("VERIFY_JOBS", "auto")
    # On the oldest supported Python: everything. On the newer ones: what asyncio's
    # behaviour can change, that is every kata's proofs (solution, stub, pitfalls) and the
    # engine's checks of tasks, leaks and messages. The rest (the robustness cases, class
    # grading in its sandbox, the watch session, the mutation tooling, layout and docs
    # checks) does not depend on the Python version and costs minutes: once is enough.
    # VERIFY_ROBUSTNESS=all runs everything on every Python (the GitHub matrix does).
    everywhere = os.environ.get("VERIFY_ROBUSTNESS") == "all"
    if everywhere or session.python == PYTHONS[0]:
        paths = ["tests"]
    else:
        paths = [str(Path("tests") / name) for name in VERSION_SENSITIVE_TESTS]
    session.run("python", "-m", "pytest", *paths, "-n", jobs, *session.posargs, env=ENV)


# The test modules whose outcome can change with the Python version (see verify).
VERSION_SENSITIVE_TESTS = [
    "test_katas.py",
    "test_engine_children.py",
    "test_engine_leaks.py",
    "test_engine_messages.py",
    "test_engine_runner.py",
]


@nox.session(default=False)
def mutate(session: nox.Session) -> None:
    """Mutation-test the graders (cosmic-ray): `nox -s mutate -- 05`; none named: all katas.

    `nox -s mutate -- --check` grades nothing: it checks that the equivalents lists and the
    recorded scores still match the code (docs/mutation.md)."""
    install_group(session, "mutate")
    # The asyncio operators are a cosmic-ray plugin (an entry point), so their package is
    # installed, editable: a change to its code needs no reinstall, one to its
    # pyproject.toml (the entry points) does, hence the stamp.
    plugin = ROOT / "tools" / "mutation"
    digest = hashlib.sha256((plugin / "pyproject.toml").read_bytes()).hexdigest()
    stamp = Path(session.virtualenv.location) / ".katas-mutation-plugin.sha256"
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != digest:
        session.install("--no-deps", "-e", str(plugin))
        stamp.write_text(digest, encoding="utf-8")
    session.run("python", "-m", "kata_mutation", *session.posargs, env=ENV)


@nox.session
def lint(session: nox.Session) -> None:
    """The pre-commit hooks: ruff (ASYNC rules), mypy --strict, zizmor, pip-audit."""
    install_group(session, "lint")
    session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure", env=ENV)
