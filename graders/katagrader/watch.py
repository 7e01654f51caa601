"""`nox -s watch`: the guided session. It opens on the current kata (or the one named),
grades it again on every save, and after a pass offers the next kata with one key.

In a terminal, single keys do the rest without leaving: `h` hint, `l` list with status,
`r` reset (asks first, names the backup), `s` solution (once the kata passes), `n` next
kata (after a pass), `q` quit. When stdin is not a terminal (a pipe, an editor's task
runner) it is the line-based mode: grade on every save, print the verdict, Ctrl-C stops.

Gradings go to a warm process (warm.py) that forks a fresh child for each one, so the
verdict after a save does not wait for pytest to start.
"""

from __future__ import annotations

import io
import os
import queue
import select
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from watchfiles import PythonFilter, watch

from .console import Printer, print_result
from .manifest import Kata, load_manifest
from .progress import next_after, record_results
from .runner import KataResult, Status
from .targets import REPO_ROOT, Target, display_path
from .warm import WarmServer
from .workflow import reset, show_hint, show_progress, show_solution

_CLEAR = "\033[2J\033[H"  # clear the terminal: the newest verdict on top
KEYS = "h hint · l list · r reset · s solution · n next · q quit"


class _Watcher:
    """File changes of one kata folder, from a background thread, as a queue."""

    def __init__(self, folder: Path) -> None:
        self.changes: queue.Queue[bool] = queue.Queue()
        self.armed = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(folder,), daemon=True)
        self._thread.start()

    def _run(self, folder: Path) -> None:
        # step: how long the folder must be quiet before a change is reported (an editor
        # writes a file in several steps); yield_on_timeout: an empty set once armed.
        for changes in watch(
            folder,
            watch_filter=PythonFilter(),
            stop_event=self._stop,
            yield_on_timeout=True,
            rust_timeout=100,
            debounce=400,
            step=20,
            raise_interrupt=False,
        ):
            self.armed.set()
            if changes:
                self.changes.put(True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


class Session:
    """The state of one watch session: the kata, its last result, the warm grader."""

    def __init__(self, out: Printer, kata: Kata, target: Target, interactive: bool) -> None:
        self.out = out
        self.kata = kata
        self.target = target
        self.interactive = interactive
        self.katas = load_manifest()
        self.server = WarmServer()
        self.result: KataResult | None = None
        self.records = target.root == REPO_ROOT / "exercises"

    @property
    def folder(self) -> Path:
        return self.target.root / self.kata.slug

    def grade(self) -> None:
        result = self.server.grade(self.kata, self.target)
        self.result = result
        if self.records:
            record_results([result])
        self.show()

    def show(self, *, brief: bool = False) -> None:
        """The screen: the verdict first (with `brief`, only its first line, to leave the
        screen to a long list or diff), then what the keys do."""
        if self.interactive:
            self.out.stream.write(_CLEAR)
        if self.result is not None:
            if brief:
                text = io.StringIO()
                print_result(Printer(text, colour=self.out.colour), self.result)
                self.out.line(text.getvalue().splitlines()[0])
            else:
                print_result(self.out, self.result)
        self.footer()

    def footer(self) -> None:
        out = self.out
        out.line()
        if self.result is not None and self.result.status is Status.PASSED:
            upcoming = self.upcoming()
            if upcoming is not None:
                offer = f"Passed! Press n for the next kata, {upcoming.slug}."
                if not self.interactive:
                    offer = f"Passed! Next: nox -s watch -- {upcoming.number:02d}"
                out.line(out.paint(offer, "green"))
            else:
                out.line(out.paint("Passed, and every kata passes now. Well done!", "green"))
        where = display_path(self.folder)
        if self.interactive:
            out.line(out.paint(f"Watching {where}: save to grade again. {KEYS}", "dim"))
        else:
            out.line(out.paint(f"\nWatching {where}; Ctrl-C to stop.", "dim"))
        out.stream.flush()

    def upcoming(self) -> Kata | None:
        return next_after(self.kata, self.katas)

    # ---------------------------------------------------------------- keys

    def key(self, key: str) -> bool:
        """Act on one key; False ends the session."""
        out = self.out
        if key in ("q", "\x04"):  # q or Ctrl-D
            return False
        if key == "h":
            self.show()
            out.line()
            show_hint(out, self.kata)
        elif key == "l":
            self.show(brief=True)
            out.line()
            show_progress(out, self.katas)
        elif key == "s":
            self.show(brief=True)
            out.line()
            if self.result is not None and self.result.status is Status.PASSED:
                show_solution(out, self.kata, self.target)
            else:
                out.line("The solution is shown once this kata passes: keep going (h for a hint).")
        elif key == "n":
            upcoming = self.upcoming()
            if self.result is None or self.result.status is not Status.PASSED:
                self.show()
                out.line("Pass this kata first, then n moves on to the next one.")
            elif upcoming is not None:
                self.kata = upcoming
                return True  # the caller re-arms the watcher and grades the new kata
        elif key == "r":
            self.show()
            out.line()
            out.line(
                f"Reset {display_path(self.folder)} to the original stub? Your files are "
                "backed up first. Press y to reset, any other key to keep them."
            )
            out.stream.flush()
            if self.read_key() == "y":
                said = io.StringIO()
                reset(Printer(said, colour=out.colour), self.kata, self.target)
                self.grade()
                out.line()
                out.line(said.getvalue().rstrip())  # the backup's path stays on screen
            else:
                self.show()
                out.line("Kept your files.")
        else:
            return True
        out.stream.flush()
        return True

    def read_key(self) -> str:
        try:
            return os.read(sys.stdin.fileno(), 1).decode(errors="replace")
        except OSError:
            return ""


@contextmanager
def _cbreak(stream: TextIO) -> Iterator[None]:
    """Keys arrive one at a time without Enter; the terminal is restored afterwards."""
    import termios
    import tty

    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _interactive() -> bool:
    if os.name != "posix":
        return False
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def watch_kata(
    out: Printer, kata: Kata, target: Target, stop: threading.Event | None = None
) -> int:
    """Run the session until `q`, Ctrl-C, or `stop` is set."""
    session = Session(out, kata, target, interactive=_interactive())
    session.server.start()  # its imports overlap with the first grading's start-up
    try:
        if session.interactive:
            with _cbreak(sys.stdin):
                _loop(session, stop)
        else:
            _loop(session, stop)
    except KeyboardInterrupt:  # Ctrl-C, while grading or waiting
        pass
    finally:
        session.server.close()
    out.line("Stopped watching.")
    return 0


def _loop(session: Session, stop: threading.Event | None) -> None:
    while True:
        watcher = _Watcher(session.folder)
        try:
            watcher.armed.wait(5)  # a save from now on is seen
            session.grade()
            watching = session.kata
            while session.kata is watching:
                if stop is not None and stop.is_set():
                    return
                if _next_key(session, watcher):
                    if not session.key(session.read_key()):
                        return
                if _drain(watcher.changes):
                    session.grade()
        finally:
            watcher.stop()


def _next_key(session: Session, watcher: _Watcher) -> bool:
    """Wait a moment for a key (interactive) or a change; True when a key is waiting."""
    if not session.interactive:
        try:
            watcher.changes.put(watcher.changes.get(timeout=0.1))
        except queue.Empty:
            pass
        return False
    ready, _, _ = select.select([sys.stdin], [], [], 0.05)
    return bool(ready)


def _drain(changes: queue.Queue[bool]) -> bool:
    """Whether any change arrived (several saves in a row give one grading)."""
    changed = False
    while True:
        try:
            changes.get_nowait()
        except queue.Empty:
            return changed
        changed = True
