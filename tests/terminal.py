"""A pseudo-terminal for black-box tests of interactive commands (`watch`): start a
command on it, type keys, and read the screen it draws."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Sequence
from pathlib import Path

# Escape sequences (colours, clearing the screen) removed from what a test reads.
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    """A command running on its own pseudo-terminal of `rows` x `columns`."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        cwd: Path,
        env: dict[str, str],
        rows: int = 50,
        columns: int = 160,
    ) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.reader = self.writer = self.master
        self.output = ""  # everything drawn so far, escapes removed
        self.raw = ""  # the same with the escapes
        self.mark = 0  # where `screen()` starts: the last clear of the screen

    @classmethod
    def piped(cls, command: Sequence[str], *, cwd: Path, env: dict[str, str]) -> Terminal:
        """The same command with pipes instead of a terminal (stdin is not a TTY)."""
        self = cls.__new__(cls)
        self.process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert self.process.stdout is not None and self.process.stdin is not None
        self.master = -1
        self.reader = self.process.stdout.fileno()
        self.writer = self.process.stdin.fileno()
        self.output = self.raw = ""
        self.mark = 0
        return self

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.reader], [], [], timeout)
        if not ready:
            return
        try:
            chunk = os.read(self.reader, 65536).decode(errors="replace")
        except OSError:  # the command ended and closed the terminal
            time.sleep(timeout)
            return
        if not chunk:  # end of file: the command has ended
            time.sleep(timeout)
            return
        self.raw += chunk
        if "\x1b[2J" in chunk:
            self.mark = len(self.output) + len(_ESCAPES.sub("", chunk.rsplit("\x1b[2J", 1)[0]))
        self.output += _ESCAPES.sub("", chunk)

    def screen(self) -> str:
        """What is on the screen now: everything since it was last cleared."""
        return self.output[self.mark :]

    def wait_for(self, text: str, timeout: float = 60.0, since: int = 0) -> float:
        """Read until `text` appears after position `since` of the output; returns when."""
        deadline = time.monotonic() + timeout
        while text not in self.output[since:]:
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {text!r}; the screen:\n{self.screen()}")
            self._read(0.05)
        return time.monotonic()

    def press(self, keys: str) -> int:
        """Type `keys`; returns the output position before them (for `wait_for(since=)`)."""
        position = len(self.output)
        os.write(self.writer, keys.encode())
        return position

    def close(self) -> int | None:
        if self.process.poll() is None:
            self.process.kill()
        code = self.process.wait(timeout=10)
        if self.master >= 0:
            os.close(self.master)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        return code
