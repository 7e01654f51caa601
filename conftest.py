"""Loads the grading engine, and pytester for the engine's own tests. It sits at the
repository root so that `--target` and `--kata-report` are known before pytest parses
the command line (a conftest further down is read too late for that)."""

pytest_plugins = ["katagrader.plugin", "pytester"]
