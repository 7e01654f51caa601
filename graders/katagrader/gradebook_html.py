"""gradebook.html: one self-contained page (inline CSS, no script, no CDN) that works
offline. A heatmap of students x katas coloured by status; a click on a cell opens that
cell's reasons and evidence (CSS `:target`, so it works with scripts disabled too)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .runner import Status
from .sanitize import clean, first_sentence, one_line

if TYPE_CHECKING:
    from .batch import ClassRun
    from .gradebook import KataStats, StudentTotals

_LABELS = {
    Status.PASSED: ("✓", "passed"),
    Status.FAILED: ("✗", "failed"),
    Status.NOT_STARTED: ("·", "not started"),
    Status.CRASHED: ("!", "crashed"),
    Status.SUSPECT: ("?", "suspect"),
    Status.SKIPPED: ("–", "skipped"),
}
_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.4em;margin:0 0 .2em} p.meta{color:#555;margin:0 0 1em}
table.heat{border-collapse:collapse} .heat th,.heat td{border:1px solid #ddd;padding:0}
.heat th{font-weight:600;padding:4px 6px;white-space:nowrap;background:#f6f6f6}
.heat th.kata{writing-mode:vertical-rl;transform:rotate(180deg);height:9em;text-align:left}
.heat td a{display:block;width:2.2em;height:2.2em;line-height:2.2em;text-align:center;
  text-decoration:none;color:#000;font-weight:700}
.heat td.total{padding:0 8px;white-space:nowrap}
.s-passed{background:#2e9e4f}.s-failed{background:#e06666}.s-not_started{background:#d9d9d9}
.s-crashed{background:#8e44ad}.s-crashed a{color:#fff!important}
.s-suspect{background:#f1c232}.s-skipped{background:#f3f3f3}
.legend span{display:inline-block;padding:2px 8px;margin-right:6px;border-radius:3px}
.detail{display:none;border:2px solid #333;padding:.6em 1em;background:#fff;
  position:fixed;top:1em;right:1em;width:min(40em,60vw);max-height:85vh;overflow:auto;
  box-shadow:0 4px 16px rgba(0,0,0,.3)}
.detail:target{display:block} .detail h3{margin:.2em 0}
.detail pre{white-space:pre-wrap;word-break:break-word;background:#f8f8f8;padding:.5em}
ul.notes li,ul.reasons li{margin:.2em 0}
"""


def _e(text: object) -> str:
    return html.escape(clean(text), quote=True)


def render(run: ClassRun, stats: Sequence[KataStats], totals: Sequence[StudentTotals]) -> str:
    from .gradebook import reasons

    head = "".join(f'<th class="kata" title="{_e(s.title)}">{_e(s.slug)}</th>' for s in stats)
    rows = []
    details = []
    for row, total in enumerate(totals):
        cells = []
        for col, entry in enumerate(run.entries[total.name]):
            symbol, label = _LABELS[entry.status]
            anchor = f"c{row}-{col}"
            title = f"{total.name} · {entry.result.kata.slug}: {label}"
            cells.append(
                f'<td class="s-{entry.status}"><a href="#{anchor}" title="{_e(title)}" '
                f'aria-label="{_e(title)}">{symbol}</a></td>'
            )
            checks = f"{entry.result.passed_count}/{entry.checks} checks passed"
            said = first_sentence(entry.result.summary, 240)  # already shown above
            items = "".join(f"<li>{_e(r)}</li>" for r in reasons(entry, limit=10) if r != said)
            evidence = "".join(f"<li>{_e(one_line(x, 400))}</li>" for x in entry.evidence)
            details.append(
                f'<section class="detail" id="{anchor}"><h3>{_e(total.name)} · '
                f"{_e(entry.result.kata.slug)}: {label}</h3><p>{_e(checks)}. "
                f"{_e(entry.result.summary)}</p>"
                + (f'<ul class="reasons">{items}</ul>' if items else "")
                + (f"<p><b>Evidence</b></p><ul>{evidence}</ul>" if evidence else "")
                + '<p><a href="#top">close</a></p></section>'
            )
        rows.append(
            f'<tr><th scope="row">{_e(one_line(total.name, 60))}</th>{"".join(cells)}'
            f'<td class="total">{total.passed}/{total.katas}</td></tr>'
        )
    rates = "".join(f"<td>{s.pass_rate:.0%}</td>" for s in stats)
    legend = "".join(
        f'<span class="s-{status}">{symbol} {label}</span>'
        for status, (symbol, label) in _LABELS.items()
    )
    common = []
    for s in stats:
        if s.top:
            items = "".join(f"<li>{count} × {_e(reason)}</li>" for reason, count in s.top)
            common.append(f"<h3>{_e(s.slug)} ({s.pass_rate:.0%} passed)</h3><ul>{items}</ul>")
    notes = []
    for name, lines in run.notes.items():
        if lines:
            items = "".join(f"<li>{_e(line)}</li>" for line in lines[:50])
            notes.append(f"<h3>{_e(name)}</h3><ul class='notes'>{items}</ul>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        f"<title>Gradebook</title><style>{_CSS}</style></head><body id='top'>"
        f"<h1>Gradebook</h1><p class='meta'>{len(totals)} submissions × {len(stats)} katas · "
        f"{_e(run.mode)} · {run.duration:.0f} s. Click a cell for its reasons.</p>"
        f"<p class='legend'>{legend}</p>"
        f'<table class="heat"><thead><tr><th>submission</th>{head}<th>passed</th></tr>'
        f"</thead><tbody>{''.join(rows)}</tbody>"
        f"<tfoot><tr><th>pass rate</th>{rates}<td></td></tr></tfoot></table>"
        f"{''.join(details)}"
        f"<h2>Most common reasons per kata</h2>{''.join(common) or '<p>none</p>'}"
        + (f"<h2>Notes on submissions</h2>{''.join(notes)}" if notes else "")
        + "</body></html>\n"
    )
