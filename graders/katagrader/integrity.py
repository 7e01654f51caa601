"""The integrity scan: constructs in a submission that a kata never needs but that forging
a result, spying on the grader or reaching outside the submission do.

It reads the code (`ast`), it does not run it. A finding is evidence for the teacher, not
proof: a run with findings is never reported as plain `passed` but as `suspect`, with each
finding's file and line. The reference solutions have no findings (a test checks it).

Classes of construct, each with the reason it is flagged:
- the grading machinery and interpreter internals: `_pytest`, `pytest` internals,
  `pluggy`, `katagrader`, `gc`, `ctypes`, `inspect`, `importlib`, `builtins`, `sys._getframe`
  and the other `sys` hooks, frame and code attributes (`f_back`, `__globals__`...);
- dynamic code, which hides everything else from this scan: `exec`, `eval`, `compile`,
  `__import__`;
- changing shared state: writes to `sys.modules`, `builtins`, or attributes of an imported
  module (`asyncio.sleep = ...`, `setattr(time, ...)`);
- processes and signals: `os._exit`, `os.kill`, `os.killpg`, `os.fork`, `os.setsid`,
  `start_new_session=`, `signal.signal`;
- the file system outside the submission: `/proc`, absolute paths, `..`, and names of the
  repository's own folders (`solutions`, `graders`, `.katas`);
- files that are not plain source: compiled code (`.so`, `.pyc`, `.pth`...) and source
  declaring an unusual encoding.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

MODULES = {
    "_pytest": "imports pytest's internals",
    "pluggy": "imports pytest's plugin machinery",
    "katagrader": "imports the grading engine",
    "gc": "imports gc (walking every live object, the grader's included)",
    "ctypes": "imports ctypes (raw memory access)",
    "inspect": "imports inspect (reading the grader's frames)",
    "importlib": "imports importlib (loading code this scan cannot see)",
    "builtins": "imports builtins",
    "marshal": "imports marshal (loading compiled code)",
    "faulthandler": "imports faulthandler",
    "sitecustomize": "imports sitecustomize",
    "pickle": "imports pickle (loading data runs code)",
    "shelve": "imports shelve (loading data runs code)",
    "dill": "imports dill (loading data runs code)",
    "cloudpickle": "imports cloudpickle (loading data runs code)",
    "runpy": "imports runpy (running code this scan cannot see)",
    "code": "imports code (running code this scan cannot see)",
    "codeop": "imports codeop (compiling code this scan cannot see)",
    "zipimport": "imports zipimport (loading code this scan cannot see)",
    "pkgutil": "imports pkgutil (loading code this scan cannot see)",
    "imp": "imports imp (loading code this scan cannot see)",
}
# pytest's machinery, as opposed to what a test author uses (kata 27 writes tests).
PYTEST_INTERNALS = {
    "TestReport", "CollectReport", "CallInfo", "Config", "Session", "Item", "Function",
    "Module", "Class", "Collector", "Package", "File", "Dir", "Directory",
    "PytestPluginManager", "hookimpl", "hookspec", "StashKey", "Stash",
    "register_assert_rewrite", "ExitCode", "exit",
}  # fmt: skip
SYS_ATTRIBUTES = {
    "_getframe", "_current_frames", "settrace", "setprofile", "modules", "meta_path",
    "path_hooks", "path_importer_cache", "addaudithook",
    "_current_exceptions", "monitoring", "exit", "path",
}  # fmt: skip
OS_CALLS = {
    "_exit", "kill", "killpg", "fork", "forkpty", "setsid", "setpgrp", "setpgid",
    "system", "execv", "execve", "execl", "execlp", "execvp", "execvpe", "popen",
    "posix_spawn", "posix_spawnp", "chdir", "chmod", "chown", "symlink", "link",
    "pidfd_open", "getppid", "nice", "sched_setaffinity",
}  # fmt: skip
FRAME_ATTRIBUTES = {
    "f_back", "f_globals", "f_locals", "f_code", "f_builtins", "tb_frame", "tb_next",
    "gi_frame", "cr_frame", "ag_frame", "__globals__", "__code__", "__closure__",
    "__builtins__", "__subclasses__", "__mro__", "__bases__", "__base__", "__loader__",
    "__spec__", "__dict__", "co_consts", "__self__", "__wrapped__", "__class__",
    "CodeType", "FunctionType", "FrameType",
}  # fmt: skip
DYNAMIC = {"exec", "eval", "compile", "__import__", "breakpoint", "globals", "vars"}
CODE_SUFFIXES = {".so", ".pyd", ".pyc", ".pyo", ".pth", ".dll", ".dylib", ".egg", ".whl"}
# System folders: an absolute path to one of them in a string is outside the submission.
_OUTSIDE = re.compile(
    r"(^|[\s'\"=:(])(/(proc|sys|dev|etc|home|root|tmp|var|usr|opt|srv|mnt|run|work|bin|lib)"
    r"\b|~/|\.\./|/\.\.|\.\.\\|[A-Za-z]:\\)"
)
# An absolute path into a system folder, two levels deep at least ("/home" alone is more
# often a web route than a folder), or the sandbox's own folder.
_SYSTEM_PATH = re.compile(
    r"^(/(proc|sys|dev|etc|home|root|tmp|var|usr|opt|srv|mnt|run|work|bin|lib|media|boot)"
    r"(/[^/\s]+)+/?|/kata(/.*)?|~/.*)$"
)
_REPO_FOLDERS = re.compile(r"(^|[/\\])(solutions|graders|katagrader|\.katas|\.nox|\.git)([/\\]|$)")
_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_PLAIN_CODINGS = {"utf-8", "utf8", "ascii", "us-ascii", "latin-1", "latin1", "iso-8859-1"}


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the submission, with forward slashes
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}, line {self.line}: {self.what}"


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.found: list[Finding] = []
        self.modules: dict[str, str] = {}  # local name -> module it is bound to

    def flag(self, node: ast.AST, what: str) -> None:
        self.found.append(Finding(self.path, getattr(node, "lineno", 0), what))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._imported(node, alias.name)
            self.modules[(alias.asname or alias.name).split(".")[0]] = alias.name.split(".")[0]
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            self.flag(node, "relative import (reaches outside the kata's own file)")
        self._imported(node, module)
        root = module.split(".")[0]
        for alias in node.names:
            name = alias.asname or alias.name
            if root == "os" and alias.name in OS_CALLS:
                self.flag(node, f"imports os.{alias.name}")
            if root == "sys" and alias.name in SYS_ATTRIBUTES:
                self.flag(node, f"imports sys.{alias.name}")
            if root == "pytest" and alias.name in PYTEST_INTERNALS:
                self.flag(node, f"imports pytest.{alias.name} (pytest's machinery)")
            self.modules.setdefault(name, f"{module}.{alias.name}")
        self.generic_visit(node)

    def _imported(self, node: ast.AST, module: str) -> None:
        root = module.split(".")[0]
        if root in MODULES:
            self.flag(node, MODULES[root])
        elif module.startswith("pytest.") or (module.startswith("asyncio.") and "_" in module):
            self.flag(node, f"imports {module}")

    def _root_module(self, node: ast.expr) -> str | None:
        """The module a chain `a.b.c` starts from, when `a` names one (`type(x).y` counts
        as reaching into a class: patching it changes every object the checks use)."""
        while isinstance(node, ast.Attribute):
            node = node.value
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return "type()" if node.func.id == "type" else None
        return self.modules.get(node.id) if isinstance(node, ast.Name) else None

    def visit_Attribute(self, node: ast.Attribute) -> None:
        base = node.value.id if isinstance(node.value, ast.Name) else None
        module = self.modules.get(base or "")
        if module == "pytest" and node.attr in PYTEST_INTERNALS:
            self.flag(node, f"uses pytest.{node.attr} (pytest's machinery)")
        if module == "sys" and node.attr in SYS_ATTRIBUTES and node.attr not in ("exit", "path"):
            self.flag(node, f"uses sys.{node.attr}")
        elif module == "sys" and node.attr == "path" and isinstance(node.ctx, ast.Load):
            pass  # reading is harmless; changing it is caught as a call or a store below
        elif module == "os" and node.attr in OS_CALLS:
            self.flag(node, f"uses os.{node.attr}")
        elif module == "signal" and node.attr in ("signal", "pthread_kill", "sigwait"):
            self.flag(node, f"uses signal.{node.attr}")
        if node.attr in FRAME_ATTRIBUTES:
            self.flag(node, f"uses .{node.attr} (interpreter internals)")
        owner = (
            self._root_module(node.value) if isinstance(node.ctx, (ast.Store, ast.Del)) else None
        )
        if owner is not None:
            self.flag(node, f"changes {owner}...{node.attr} (patches what every check shares)")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, (ast.Store, ast.Del)) and isinstance(node.value, ast.Attribute):
            owner = node.value.value
            if isinstance(owner, ast.Name) and self.modules.get(owner.id) == "sys":
                self.flag(node, f"changes sys.{node.value.attr}[...]")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in DYNAMIC:
                self.flag(node, f"calls {func.id}() (runs code this scan cannot see)")
            if func.id in ("setattr", "delattr", "getattr") and node.args:
                first = node.args[0]
                target = first.id if isinstance(first, ast.Name) else None
                dynamic = len(node.args) > 1 and not isinstance(node.args[1], ast.Constant)
                owner = self._root_module(first)
                if target in self.modules:
                    self.flag(node, f"{func.id}() on the module {self.modules[target]}")
                elif owner is not None and func.id != "getattr":
                    self.flag(node, f"{func.id}() on something of {owner}")
                elif dynamic and func.id != "getattr":
                    self.flag(node, f"{func.id}() with a computed name")
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute):
            inner = func.value
            if (
                isinstance(inner.value, ast.Name)
                and self.modules.get(inner.value.id) == "sys"
                and inner.attr == "path"
            ):
                self.flag(node, f"changes sys.path ({func.attr})")
        if self._touches_files(func):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                for text in _strings_in(arg):
                    if _OUTSIDE.search(text):
                        self.flag(node, f"a path outside the submission: {_short(text)}")
                        break
        for keyword in node.keywords:
            if keyword.arg in ("start_new_session", "preexec_fn", "process_group"):
                self.flag(node, f"starts a process with {keyword.arg}= (escapes its group)")
        self.generic_visit(node)

    def _touches_files(self, func: ast.expr) -> bool:
        """A call that takes a path: open(), Path(), or anything of os, shutil, pathlib,
        io, glob or subprocess (a string elsewhere, a URL path say, is not a file)."""
        if isinstance(func, ast.Name):
            return (
                func.id in ("open", "Path", "PurePath")
                or self.modules.get(func.id, "").split(".")[0] in _FILE_MODULES
            )
        root: ast.expr = func
        while isinstance(root, ast.Attribute):
            if root.attr in ("open", "read_text", "read_bytes", "write_text", "write_bytes"):
                return True
            root = root.value
        return isinstance(root, ast.Name) and self.modules.get(root.id, "") in _FILE_MODULES

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in ("__builtins__", "__loader__", "__spec__"):
            self.flag(node, f"uses {node.id}")
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, (str, bytes)):
            text = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
            if "/proc" in text:
                self.flag(node, "names /proc (other processes, the grader's command line)")
            elif _SYSTEM_PATH.match(text.strip()):
                self.flag(node, f"a path outside the submission: {_short(text)}")
            elif _REPO_FOLDERS.search(text):
                self.flag(node, f"names the repository's own folders: {_short(text)}")
        self.generic_visit(node)


_FILE_MODULES = {"os", "shutil", "pathlib", "io", "glob", "subprocess", "tempfile"}


def _strings_in(node: ast.AST) -> list[str]:
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def _short(text: str) -> str:
    text = text.encode("unicode_escape", "backslashreplace").decode("ascii")
    return repr(text[:60] + ("..." if len(text) > 60 else ""))


def scan_source(source: bytes, path: str) -> list[Finding]:
    findings = []
    for number, line in enumerate(source.splitlines()[:2], start=1):
        match = _CODING.match(line)
        if match and match[1].decode("ascii", "replace").lower() not in _PLAIN_CODINGS:
            findings.append(Finding(path, number, f"declares the source encoding {match[1]!r}"))
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError):
        return findings  # grading reports the syntax error; nothing here can run
    scanner = _Scanner(path)
    scanner.visit(tree)
    return findings + scanner.found


def scan_tree(root: Path) -> list[Finding]:
    """Every finding in the regular files under `root` (a private copy of a submission)."""
    findings: list[Finding] = []
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        if path.suffix.lower() in CODE_SUFFIXES:
            findings.append(Finding(relative, 0, f"compiled or loader file ({path.suffix})"))
        elif path.suffix == ".py":
            findings.extend(scan_source(path.read_bytes(), relative))
    return findings
