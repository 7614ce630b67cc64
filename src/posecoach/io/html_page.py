"""The scaffolding of posecoach's self-contained HTML reports: page head, style, tables.

Both reports (``clinic/report.py``, ``cli/batch_report.py``) are one file each, with their CSS
inline and their plots embedded (``posecoach.io.plots``): no link to load, no font to fetch,
so a page opens offline and can be mailed or printed as it is.  Every text that comes from a
file name, a result or a database goes through ``html.escape`` here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

__all__ = ["BASE_CSS", "esc", "head", "table"]

BASE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 1000px;
       color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.1em; } h2 { border-bottom: 2px solid #4c8bc6; padding-bottom: 0.2em; margin-top: 1.6em; }
.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #eef3f9; } td.l, th.l { text-align: left; }
.note { font-size: 0.85em; color: #555; }
@page { size: A4; margin: 14mm; }
"""


def esc(value: Any) -> str:
    """Any value as HTML text (``None`` as nothing)."""
    return "" if value is None else html.escape(str(value))


def table(head: Sequence[str], body: Sequence[Sequence[Any]], left: int = 1, *, attrs: str = "",
          text: Sequence[int] = ()) -> str:
    """A table whose first ``left`` columns, and the columns numbered in ``text``, are left-aligned
    (names, words), the others right (numbers).  ``attrs``: the ``<table>`` tag's attributes, already HTML."""
    lft = set(range(left)) | set(text)
    h = "".join(f'<th class="l">{esc(c)}</th>' if i in lft else f"<th>{esc(c)}</th>" for i, c in enumerate(head))
    rows = []
    for r in body:
        cells = "".join(f'<td class="l">{esc(c)}</td>' if i in lft else f"<td>{esc(c)}</td>" for i, c in enumerate(r))
        rows.append(f"<tr>{cells}</tr>")
    tag = f"<table {attrs}>" if attrs else "<table>"
    return f"{tag}<thead><tr>{h}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def head(title: str, css: str) -> list[str]:
    """The start of a page, up to and including ``<body>``: ``title`` (plain text) and ``css``."""
    return [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<style>{css}</style></head><body>",
    ]
