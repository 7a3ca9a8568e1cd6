"""A published transparency report, ready to embed in a page.

The pages show the report's own data file (`report.json`, the signed bytes) with the charts
`custos.oversight` draws for it: inline SVG, so the page keeps its Content-Security-Policy.
The report's standalone `report.html` carries an inline stylesheet for offline reading and
printing; the pages offer it as a download instead of serving it under the page CSP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from markupsafe import Markup

from custos.domain.errors import NotFoundError
from custos.oversight import svg_chart
from custos.workflow import oversight
from custos.workflow.context import Context

#: The files of a report offered for download, in this order, with their link text.
FILE_LABELS: Final = {
    "report.pdf": "PDF",
    "report.csv": "CSV",
    "report.json": "JSON data (signed)",
    "report.sig": "Signature",
    "report.html": "Standalone HTML",
}


def label(text: str) -> str:
    """A row or column code as the report's own HTML shows it: `fleeing_felon` → `Fleeing
    felon`."""
    words = text.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@dataclass(frozen=True, kw_only=True)
class ShownReport:
    listing: oversight.ReportListing
    data: dict[str, Any]
    tables: list[dict[str, Any]]
    signature: str
    files: list[tuple[str, str]]


def _listing(ctx: Context, report_id: str) -> oversight.ReportListing:
    for r in oversight.list_reports(ctx):
        if r.id == report_id:
            return r
    raise NotFoundError("no such report")


def shown(ctx: Context, report_id: str) -> ShownReport:
    """The report's data, its charts and its files; NotFoundError for an unknown report."""
    listing = _listing(ctx, report_id)
    body, _ = oversight.report_file(ctx, report_id, "report.json")
    note, _ = oversight.report_file(ctx, report_id, "report.sig")
    data: dict[str, Any] = json.loads(body)
    # svg_chart escapes every label it draws; the markup is the report's own rendering.
    tables = [{**t, "svg": Markup(svg_chart(t))} for t in data["tables"]]  # noqa: S704  # nosec B704
    files = [(n, text) for n, text in FILE_LABELS.items() if n in listing.files]
    return ShownReport(
        listing=listing,
        data=data,
        tables=tables,
        signature=note.decode("utf-8"),
        files=files,
    )


def download_headers(report_id: str, name: str) -> dict[str, str]:
    """Files are downloads: the standalone HTML never renders under the page's origin."""
    safe = "".join(c for c in f"{report_id}-{name}" if c.isalnum() or c in "._-")
    return {"Content-Disposition": f'attachment; filename="{safe}"'}


__all__ = ["FILE_LABELS", "ShownReport", "download_headers", "label", "shown"]
