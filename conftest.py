"""Loads the grading engine. It sits at the repository root so that `--target` and
`--kata-report` are known before pytest parses the command line."""

pytest_plugins = ["katagrader.plugin"]
