"""`python -m katagrader.limits MEGABYTES -- COMMAND...`: run COMMAND with its address space
capped, so one submission that allocates without end fails alone instead of taking the
machine down. Setting the limit here, then exec, avoids `preexec_fn`, which is unsafe in
the runner's threads. POSIX only; elsewhere the command runs without the cap."""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> None:
    megabytes, separator, *command = argv
    if separator != "--" or not command:
        raise SystemExit("usage: python -m katagrader.limits MEGABYTES -- COMMAND...")
    try:
        import resource

        limit = int(megabytes) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except ImportError:  # Windows: no rlimits
        pass
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
