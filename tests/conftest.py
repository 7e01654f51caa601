"""Fixtures for the engine's own tests."""

from __future__ import annotations

import pytest
from demo_kata import DemoKata

from katagrader.targets import REPO_ROOT


@pytest.fixture
def kata(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> DemoKata:
    """An empty demo kata in a temporary folder; write() fills it in."""
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT / "graders"))
    monkeypatch.delenv("KATA_TARGET", raising=False)
    return DemoKata(pytester)
