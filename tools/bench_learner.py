"""The learner's loop, timed side by side with the floor (`python tools/bench.py --learner`).

Every round runs each measurement once, in the same order, so that a neighbour's load on
a shared machine falls on all of them alike; the table gives medians and every sample.

- floor: pytest, one trivial test, the same plugins and config (bench.floor_command);
- `nox -s grade -- 03` with a warm venv, and the same grading without nox;
- watch, from a save to the verdict on screen, for kata 03 (one session; a save alternates
  the reference solution and the stub, so every save changes the verdict);
- hint and list inside watch (a key to its text on screen), in a pseudo-terminal;
- a blocked loop in kata 05 (`time.sleep(3600)`, a busy `while True`): the grade's wall time.
"""

from __future__ import annotations

import os
import platform
import pty
import select
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench import GRADE_PYTHON, ROOT, floor_command, timed

ENV = {
    **os.environ,
    "PYTHONPATH": str(ROOT / "graders"),
    "PYTHONPYCACHEPREFIX": str(ROOT / ".katas" / "pycache"),
    "NO_COLOR": "1",
}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)
KATA03 = "03_coroutines"


class Screen:
    """A command's output read as it comes, through a pipe or a pseudo-terminal."""

    def __init__(self, command: list[str], env: dict[str, str], terminal: bool) -> None:
        if terminal:
            self.fd, slave = pty.openpty()
            io: dict[str, int] = {"stdin": slave, "stdout": slave, "stderr": slave}
        else:
            read, write = os.pipe()
            self.fd, slave = read, write
            io = {"stdin": subprocess.PIPE, "stdout": write, "stderr": write}
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, **io)  # type: ignore[call-overload]
        os.close(slave)
        self.text = ""

    def wait_for(self, text: str, since: int, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        while text not in self.text[since:]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"never saw {text!r}:\n{self.text[-2000:]}")
            ready, _, _ = select.select([self.fd], [], [], 0.01)
            if ready:
                self.text += os.read(self.fd, 65536).decode(errors="replace")
        return time.monotonic()

    def press(self, key: str) -> int:
        at = len(self.text)
        os.write(self.fd, key.encode())
        return at

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self.fd)


def _kata05(folder: Path, code: str) -> Path:
    source = (ROOT / "solutions" / "05_semaphores" / "downloader.py").read_text()
    line = "    semaphore = asyncio.Semaphore(limit)\n"
    source = source.replace(line, line + code, 1).replace(
        "import asyncio\n", "import asyncio\nimport time\n", 1
    )
    (folder / "05_semaphores").mkdir(parents=True)
    (folder / "05_semaphores" / "downloader.py").write_text(source)
    return folder


def bench_learner(runs: int) -> int:
    nox = shutil.which("nox")
    if nox is None:
        print("nox is not on PATH: python3 -m pip install -r requirements/nox.txt")
        return 2
    subprocess.run([nox, "-s", "grade", "--", "--help"], cwd=ROOT, capture_output=True)
    samples: dict[str, list[float]] = {}

    def add(name: str, seconds: float) -> None:
        samples.setdefault(name, []).append(seconds)

    with tempfile.TemporaryDirectory(prefix="bench-learner-") as scratch:
        root = Path(scratch)
        env = {**ENV, "KATAS_STATE_DIR": str(root / "state")}
        floor = floor_command(root)
        timed(floor, env)  # fill the bytecode cache once
        watched = root / "watched"
        shutil.copytree(ROOT / "exercises" / KATA03, watched / KATA03)
        answer = watched / KATA03 / "dashboard.py"
        versions = [
            (ROOT / "solutions" / KATA03 / "dashboard.py").read_bytes(),
            (ROOT / "exercises" / KATA03 / "dashboard.py").read_bytes(),
        ]
        sleeping = _kata05(root / "sleep", "    time.sleep(3600)\n")
        busy = _kata05(root / "busy", "    while True:\n        pass\n")
        grade = [str(GRADE_PYTHON), "-m", "katagrader", "grade"]
        python = str(GRADE_PYTHON)
        watch = Screen(
            [python, "-m", "katagrader", "watch", "03", f"--target={watched}"], env, False
        )
        keys = Screen(
            [python, "-m", "katagrader", "watch", "03", f"--target={watched}_keys"],
            env,
            True,
        )
        shutil.copytree(watched, f"{watched}_keys")
        try:
            watch.wait_for("Watching", 0)
            keys.wait_for("Watching", 0)
            for round_ in range(runs):
                add("floor: pytest, one trivial test, same plugins", timed(floor, env))
                add(
                    "`nox -s grade -- 03`, warm venv",
                    timed([nox, "-s", "grade", "--", "03", "--target", "solutions"]),
                )
                add(
                    "`python -m katagrader grade 03` (no nox)",
                    timed([*grade, "03", "--target=solutions"], env),
                )
                at = len(watch.text)
                saved = time.monotonic()
                answer.write_bytes(versions[round_ % 2])
                badge = "PASS  03" if round_ % 2 == 0 else "TODO  03"
                add("watch 03: save to verdict on screen", watch.wait_for(badge, at) - saved)
                watch.wait_for("Watching", at)
                for key, shown, name in [
                    ("h", "Hint ", "watch: `h` to the hint on screen"),
                    ("l", "katas passed.", "watch: `l` to the list on screen"),
                ]:
                    pressed = time.monotonic()
                    add(name, keys.wait_for(shown, keys.press(key)) - pressed)
                for name, target in [
                    ("kata 05, `time.sleep(3600)`: grade's wall time", sleeping),
                    ("kata 05, busy `while True`: grade's wall time", busy),
                ]:
                    add(name, timed([*grade, "05", f"--target={target}"], env))
        finally:
            watch.close()
            keys.close()

    floor_median = statistics.median(samples["floor: pytest, one trivial test, same plugins"])
    print(
        f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"Date: {time.strftime('%Y-%m-%d %H:%M')}; {runs} interleaved rounds")
    loadavg = Path("/proc/loadavg")
    load = loadavg.read_text().strip() if loadavg.exists() else "unknown"
    print(f"Load average at the end: {load}\n")
    print("| what | median (s) | runs (s) | x floor |")
    print("| --- | --- | --- | --- |")
    for name, values in samples.items():
        median = statistics.median(values)
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"| {name} | {median:.2f} | {shown} | {median / floor_median:.2f} |")
    return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    raise SystemExit(bench_learner(max(1, parser.parse_args().runs)))
