"""`nox -s watch -- <kata>`: grade again on every save of the kata's files."""

from __future__ import annotations

import threading

from watchfiles import PythonFilter, watch

from .console import Printer, print_result
from .manifest import Kata
from .progress import record_results
from .runner import run_kata
from .targets import REPO_ROOT, Target, display_path


def watch_kata(
    out: Printer, kata: Kata, target: Target, stop: threading.Event | None = None
) -> int:
    folder = target.root / kata.slug

    def grade_once() -> None:
        if out.colour:
            out.stream.write("\033[2J\033[H")  # clear the terminal: the newest verdict on top
        result = run_kata(kata, target)
        print_result(out, result)
        if target.root == REPO_ROOT / "exercises":
            record_results([result])

    def announce() -> None:
        out.line(out.paint(f"\nWatching {display_path(folder)}; Ctrl-C to stop.", "dim"))
        out.stream.flush()

    try:
        grade_once()
        # The watcher is only armed once the loop below has started; it yields an empty set on
        # each quiet timeout, so the first one is when "Watching" becomes true.
        armed = False
        # raise_interrupt=False: Ctrl-C ends the loop quietly instead of with a traceback.
        for changes in watch(
            folder,
            watch_filter=PythonFilter(),
            raise_interrupt=False,
            stop_event=stop,
            yield_on_timeout=True,
            rust_timeout=300,
        ):
            if changes:
                grade_once()
                announce()
            elif not armed:
                armed = True
                announce()
    except KeyboardInterrupt:  # Ctrl-C while grading, outside the watcher
        pass
    out.line("Stopped watching.")
    return 0
