"""What every staff page shares: the signed-in staff member in the layout, safe file names."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from custos.domain.principals import StaffPrincipal
from custos.web._render import render

#: What the rules would allow, in words that do not read as a decision: only people approve.
PROPOSALS = {
    "approved": "disclose every field asked for",
    "partly_approved": "disclose some fields",
    "denied": "disclose nothing",
    "needs_review": "needs legal review",
    "preserve": "preserve the records, send nothing",
}


def page(request: Request, template: str, actor: StaffPrincipal, **data: Any) -> HTMLResponse:
    """A console page for `actor`; its buttons ask `can(me, "action")` (the permission table)."""
    return render(request, template, me=actor, proposals=PROPOSALS, **data)


def safe_filename(filename: str) -> str:
    """A file name fit for a Content-Disposition header."""
    return "".join(c for c in filename if c.isalnum() or c in "._-") or "document"
