"""Renderings of a report's JSON data: HTML with inline SVG charts, CSV, PDF.

Everything is drawn from the JSON data alone (never from the `Report` object), so a rendering
can be regenerated from a published data file and shows only what the data file publishes.
The HTML has no scripts and no external resources: it opens offline and prints as is. The
charts are plain SVG (`<svg role="img">` with a `<title>`), one per table: a bar per row, with
withheld figures drawn as an outlined, hatched bar labelled "withheld".
"""

from __future__ import annotations

import csv
import io
from html import escape
from pathlib import Path
from typing import Any

from custos.templating import environment

_TEMPLATES = Path(__file__).parent / "templates"
_env = environment(_TEMPLATES)

_COLOURS = ("#1f5f99", "#c2571a", "#3d8a4a")
_WIDTH = 640
_LABEL = 210
_BAR = 16
_GAP = 8


def label(text: str) -> str:
    """`federal_immigration_enforcement` → `Federal immigration enforcement`."""
    words = text.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _series(table: dict[str, Any]) -> tuple[list[str], list[list[int | None]]]:
    """The columns to draw and their values per row (the totals when the table has them)."""
    columns: list[str] = table["columns"]
    rows = table["rows"][: len(table["cells"])]
    cells: list[list[int | None]] = table["cells"]
    if columns and columns[-1] == "Total" and len(columns) > 1:
        picked = [len(columns) - 1]
    else:
        picked = list(range(min(len(columns), len(_COLOURS))))
    body = [i for i, r in enumerate(rows) if r != "Total"]
    return [columns[j] for j in picked], [[cells[i][j] for j in picked] for i in body]


def svg_chart(table: dict[str, Any]) -> str:
    """One horizontal bar chart for a table, as inline SVG markup."""
    names, values = _series(table)
    rows = [r for r in table["rows"] if r != "Total"]
    known = [v for row in values for v in row if v is not None]
    top = max([*known, 1])
    group = len(names) * _BAR + _GAP
    legend = 22 if len(names) > 1 else 0
    height = legend + len(rows) * group + _GAP
    span = _WIDTH - _LABEL - 60
    title = escape(table["title"])
    pattern = f"withheld-{escape(table['key'])}"
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'width="{_WIDTH}" height="{height}" viewBox="0 0 {_WIDTH} {height}" '
            f'aria-labelledby="chart-{escape(table["key"])}">'
        ),
        f'<title id="chart-{escape(table["key"])}">{title}</title>',
        (
            f'<defs><pattern id="{pattern}" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="3" height="6" fill="#bbb"/>'
            "</pattern></defs>"
        ),
    ]
    for k, name in enumerate(names if len(names) > 1 else []):
        x = _LABEL + k * 170
        parts.append(
            f'<rect x="{x}" y="4" width="12" height="12" fill="{_COLOURS[k]}"/>'
            f'<text x="{x + 16}" y="15" font-size="12">{escape(label(name))}</text>'
        )
    for i, row in enumerate(rows):
        y0 = legend + i * group + _GAP // 2
        parts.append(
            f'<text x="{_LABEL - 6}" y="{y0 + len(names) * _BAR / 2 + 4:.0f}" font-size="12" '
            f'text-anchor="end">{escape(label(row))}</text>'
        )
        for k, value in enumerate(values[i]):
            y = y0 + k * _BAR
            if value is None:
                parts.append(
                    f'<rect class="bar withheld" x="{_LABEL}" y="{y + 1}" width="60" '
                    f'height="{_BAR - 2}" fill="url(#{pattern})" stroke="#888"/>'
                    f'<text x="{_LABEL + 66}" y="{y + _BAR - 4}" font-size="11" '
                    f'fill="#555">withheld</text>'
                )
                continue
            w = span * value / top
            parts.append(
                f'<rect class="bar" x="{_LABEL}" y="{y + 1}" width="{w:.1f}" '
                f'height="{_BAR - 2}" fill="{_COLOURS[k]}"/>'
                f'<text x="{_LABEL + w + 4:.1f}" y="{y + _BAR - 4}" font-size="11">{value:,}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def render_html(data: dict[str, Any], *, signature: str = "") -> str:
    """The report as one standalone HTML page (no scripts, nothing fetched)."""
    tables = [{**t, "svg": svg_chart(t)} for t in data["tables"]]
    return _env.get_template("report.html").render(
        report=data, tables=tables, signature=signature, label=label
    )


def render_pdf(html: str) -> bytes:
    """The same page as PDF (WeasyPrint; needs Pango, see scripts/services)."""
    import weasyprint  # type: ignore[import-untyped]  # ships no types; heavy

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


def render_csv(data: dict[str, Any]) -> str:
    """Every published cell, one a line: table, row, column, value (empty when withheld)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["report", "table", "row", "column", "value", "withheld"])
    for t in data["tables"]:
        for i, row in enumerate(t["cells"]):
            for j, value in enumerate(row):
                writer.writerow(
                    [
                        data["id"],
                        t["key"],
                        t["rows"][i],
                        t["columns"][j],
                        "" if value is None else value,
                        "yes" if value is None else "no",
                    ]
                )
    return out.getvalue()
