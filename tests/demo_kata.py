"""A throw-away kata for black-box tests of the engine: a learner file and a grader, graded
exactly as a real kata is, in a separate pytest process (see conftest.py's `kata` fixture)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from katagrader.manifest import Kata
from katagrader.runner import KataResult, run_kata
from katagrader.targets import REPO_ROOT, Target

DEMO = Kata(
    number=1,
    slug="01_demo",
    title="Demo",
    difficulty="easy",
    modules=("demo",),
    prerequisites=(),
    min_python=(3, 11),
    sources=(),
    hints=(),
)


@dataclass
class DemoKata:
    """A kata laid out as in the repository: target/01_demo/demo.py and graders/01_demo/."""

    pytester: pytest.Pytester

    @property
    def target(self) -> Path:
        return self.pytester.path / "target"

    @property
    def graders(self) -> Path:
        return self.pytester.path / "graders"

    @property
    def learner_file(self) -> Path:
        return self.target / DEMO.slug / "demo.py"

    def write(self, learner: str, grader: str) -> None:
        self.learner_file.parent.mkdir(parents=True, exist_ok=True)
        self.learner_file.write_text(textwrap.dedent(learner), encoding="utf-8")
        grader_dir = self.graders / DEMO.slug
        grader_dir.mkdir(parents=True, exist_ok=True)
        header = "import asyncio\nimport pytest\nfrom katagrader import learner_module, within\n"
        header += 'demo = learner_module("demo")\n'
        (grader_dir / "test_demo.py").write_text(header + textwrap.dedent(grader), encoding="utf-8")

    def pytest(self, *args: str) -> pytest.RunResult:
        """Run pytest on the grader in a subprocess, as a learner would run it directly."""
        return self.pytester.runpytest_subprocess(
            "-c",
            str(REPO_ROOT / "pyproject.toml"),
            f"--rootdir={self.pytester.path}",
            "-p",
            "katagrader.plugin",
            f"--target={self.target}",
            str(self.graders / DEMO.slug),
            *args,
        )

    def grade(self, *, seconds: float = 60, extra_args: tuple[str, ...] = ()) -> KataResult:
        """Grade it through the runner, as `nox -s grade` does."""
        return run_kata(
            DEMO, Target(self.target), seconds=seconds, extra_args=extra_args, graders=self.graders
        )
