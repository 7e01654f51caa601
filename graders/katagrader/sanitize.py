"""Learner text made safe for every place it is written.

Everything a grading process reports (messages, test names, output) comes from code the
learner controls, and so do submission folder names. Before it reaches a console, a CSV,
JUnit XML, Markdown or JSON it goes through `clean`: lone surrogates (which no UTF-8
writer accepts) and control characters (which break XML and terminals) become visible
escapes; newlines and tabs stay. The format-specific helpers build on it.
"""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 controls except tab and newline, DEL, lone surrogates, and the two code
# points XML forbids (U+FFFE, U+FFFF). Carriage return too: it rewrites console lines.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f]")  # reorders what is shown


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: object) -> str:
    """`text` as a str with every unsafe character shown as an escape."""
    if not isinstance(text, str):
        text = str(text)
    return _BIDI.sub(_escape, _UNSAFE.sub(_escape, text))


def one_line(text: object, limit: int = 200) -> str:
    """Clean text on one line, cut at `limit` characters."""
    flat = " ".join(clean(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def first_sentence(text: object, limit: int = 160) -> str:
    """The first sentence of a message (a reason in the gradebook)."""
    flat = one_line(text, 10_000)
    match = re.search(r"(?<=[.!?])\s", flat)
    sentence = flat[: match.start()] if match and match.start() >= 20 else flat
    return one_line(sentence, limit)


def deep_clean(value: Any, depth: int = 0) -> Any:
    """A JSON-ready copy of `value` with every string (keys too) cleaned. Nothing we write
    nests deeper than a few levels: anything past 32 is cut (a forged report may nest
    without end)."""
    if isinstance(value, str):
        return clean(value)
    if depth > 32 and isinstance(value, (dict, list, tuple)):
        return "[nested too deep]"
    if isinstance(value, dict):
        return {clean(k): deep_clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [deep_clean(v, depth + 1) for v in value]
    return value


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")


def markdown(text: object, limit: int = 300) -> str:
    """Text for a Markdown table cell: one line, every Markdown and HTML character escaped
    (GitHub renders raw HTML in a step summary)."""
    return _MARKDOWN.sub(r"\\\1", one_line(text, limit))


def csv_cell(text: object) -> str:
    """A CSV cell a spreadsheet shows as text: a leading = + - @ would start a formula."""
    cell = clean(text)
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t") else cell
