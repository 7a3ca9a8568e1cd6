"""Publishing transparency reports, and reading the published ones.

A report is computed only from ledger entries up to a freshly published checkpoint, so anyone
with a ledger export can recompute it. The JSON data file is signed with the log's own key (a
C2SP signed note over its SHA-256, naming the checkpoint); HTML, PDF and CSV are renderings of
it. Published reports are kept under `<data dir>/reports/<id>/`, stored with their cells for
the next publication's checks (`_history`) and announced by an `oversight:report:publish`
entry, written in the same transaction; the public API lists them from those entries.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from custos import ledger, oversight
from custos.domain.errors import ConflictError, InvalidInputError, NotFoundError
from custos.domain.events import EventTag
from custos.domain.permissions import Action, require
from custos.domain.principals import SYSTEM_ACTOR, StaffPrincipal
from custos.store import tables as t
from custos.workflow import journal
from custos.workflow import ledger as ledger_workflow
from custos.workflow.context import Context
from custos.workflow.oversight._history import (
    budget_of,
    coverage_of,
    exact_history,
    lock_publications,
    protection_of,
    store_publication,
)
from custos.workflow.oversight._log import catalogue_classes, frames_from_store

#: Files of a published report, by name: (media type, public).
REPORT_FILES: dict[str, tuple[str, bool]] = {
    "report.json": ("application/json", True),
    "report.html": ("text/html; charset=utf-8", True),
    "report.csv": ("text/csv; charset=utf-8", True),
    "report.pdf": ("application/pdf", True),
    "report.sig": ("text/plain; charset=utf-8", True),
    #: The key of the digest of the exact counts under noise: for auditors, never published.
    "exact-digest.key": ("application/octet-stream", False),
}


@dataclass(frozen=True, kw_only=True)
class PublishedReport:
    id: str
    period: str
    directory: Path
    sha256: str
    checkpoint_size: int
    epsilon: float | None
    files: tuple[str, ...]


def _reports_dir(ctx: Context) -> Path:
    return ctx.settings.data_dir / "reports"


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _period(period: str, epsilon: float | None) -> oversight.Period:
    parsed = oversight.Period.parse(period)
    if not parsed.publishable:
        raise InvalidInputError(
            f"reports are published for a year, a half or a quarter, not {parsed.label}"
        )
    if epsilon is not None and not epsilon > 0:
        raise InvalidInputError("epsilon must be a positive number")
    return parsed


def _compute(
    ctx: Context, parsed: oversight.Period, epsilon: float | None
) -> tuple[oversight.Report, oversight.CheckpointRef, bytes | None]:
    """Steps 1–2: a checkpoint, then the report over exactly its entries, checked against
    the publication history (exact) or the budget (noisy)."""
    noisy = epsilon is not None
    with ctx.reading() as s:
        oversight.check_exclusive(quarters=parsed.quarters, noisy=noisy, published=coverage_of(s))
    checkpoint = ledger_workflow.publish_checkpoint(ctx)
    if checkpoint.size == 0:
        raise NotFoundError("the log is empty; there is nothing to report")
    ref = oversight.CheckpointRef(
        origin=ctx.settings.ledger_origin,
        size=checkpoint.size,
        root=base64.b64encode(checkpoint.root).decode(),
    )
    frames = frames_from_store(ctx, checkpoint.size)
    secret = secrets.token_bytes(32) if noisy else None
    with ctx.reading() as s:
        history = None if noisy else exact_history(s)
        budget = budget_of(s, ctx.settings) if noisy else None
    report = oversight.build(
        frames,
        period=parsed,
        checkpoint=ref,
        catalogue=catalogue_classes(ctx),
        alert_kinds=[k.value for k in oversight.AlertKind],
        generated_at=ctx.now(),
        epsilon=epsilon,
        secret=secret,
        history=history,
        protection=protection_of(ctx.settings),
        budget=budget,
    )
    return report, ref, secret


def _write(
    ctx: Context, report: oversight.Report, note: str, secret: bytes | None, *, pdf: bool
) -> Path:
    """Step 4: the JSON data file, its signature and its renderings."""
    directory = _reports_dir(ctx) / report.id
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    body = report.json_bytes()
    data = json.loads(body)
    html = oversight.render_html(data, signature=note)
    (directory / "report.json").write_bytes(body)
    (directory / "report.sig").write_text(note, encoding="utf-8")
    (directory / "report.html").write_text(html, encoding="utf-8")
    (directory / "report.csv").write_text(oversight.render_csv(data), encoding="utf-8")
    if pdf:
        (directory / "report.pdf").write_bytes(oversight.render_pdf(html))
    if secret is not None:
        _write_private(directory / "exact-digest.key", secret.hex().encode() + b"\n")
    return directory


def publication_data(ctx: Context, report: oversight.Report, sha: str) -> dict[str, Any]:
    """What the `oversight:report:publish` entry records: the report, its hash and
    checkpoint, the pack its catalogue came from, and for a noisy report its parameters and
    budget statement (which `report verify` compares with the report)."""
    pack = ctx.pack()
    noise = report.noise
    return {
        "report": report.id,
        "period": report.period.label,
        "sha256": sha,
        "checkpoint": {
            "origin": report.checkpoint.origin,
            "size": report.checkpoint.size,
            "root": report.checkpoint.root,
        },
        "epsilon": None if noise is None else str(noise.epsilon),
        "pack": {"name": pack.name, "version": pack.version, "hash": pack.content_hash},
        "noise": None
        if noise is None
        else {
            "per_table_epsilon": str(noise.per_table_epsilon),
            "tables": noise.tables,
            "populations": {p: str(e) for p, e in sorted(noise.populations.items())},
            "budget": report.budget,
        },
    }


def transparency_report(
    ctx: Context,
    *,
    period: str,
    epsilon: float | None = None,
    actor: str = SYSTEM_ACTOR,
    pdf: bool = True,
) -> PublishedReport:
    """Compute, sign, store and announce the transparency report for `period`.

    1. Refuse a period off the calendar, or one an exact (noisy) report already covers the
       other way; publish a checkpoint: the report covers exactly the entries it signs.
    2. Compute the report: an exact one checked with every exact report published before
       it; a noisy one within the privacy-loss budget.
    3. Sign the SHA-256 of the JSON data file with the log's keys, naming the checkpoint.
    4. Write JSON, HTML, CSV, PDF and the signature.
    5. In one transaction: check again under a lock, store the report with its cells (and
       its spend), append `oversight:report:publish`.
    6. Publish a checkpoint over the announcement.
    """
    parsed = _period(period, epsilon)
    keys = ledger_workflow.signer_keys(ctx.settings)
    report, ref, secret = _compute(ctx, parsed, epsilon)
    body = report.json_bytes()
    sha = hashlib.sha256(body).hexdigest()
    note = ledger.sign_note_with(
        text=oversight.signed_text(report_id=report.id, sha256=sha, checkpoint=ref),
        signer_keys=keys,
    )
    directory = _write(ctx, report, note, secret, pdf=pdf)
    try:
        _announce(ctx, report, sha, actor)
    except Exception:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    # 6. A checkpoint over the announcement: an export taken now lets `report verify` find it.
    ledger_workflow.publish_checkpoint(ctx)
    return PublishedReport(
        id=report.id,
        period=parsed.label,
        directory=directory,
        sha256=sha,
        checkpoint_size=ref.size,
        epsilon=epsilon,
        files=tuple(sorted(p.name for p in directory.iterdir())),
    )


def _announce(ctx: Context, report: oversight.Report, sha: str, actor: str) -> None:
    """Step 5."""
    noisy = report.noise is not None
    with ctx.transaction() as s:
        lock_publications(s)
        oversight.check_exclusive(
            quarters=report.period.quarters, noisy=noisy, published=coverage_of(s)
        )
        if report.noise is not None:
            budget_of(s, ctx.settings).statement(report.period.quarters, report.noise.populations)
        elif len(exact_history(s)) != report.history_checked:
            raise ConflictError("another report was published meanwhile; publish this one again")
        index = journal.record(
            ctx,
            s,
            EventTag.OVERSIGHT_REPORT_PUBLISH,
            actor,
            **publication_data(ctx, report, sha),
        )
        store_publication(s, report=report, sha256=sha, ledger_index=index, actor=actor)


def transparency_report_as(
    ctx: Context, *, actor: StaffPrincipal, period: str, epsilon: float | None = None
) -> PublishedReport:
    """`transparency_report` published by a member of staff who may run oversight."""
    require(actor, Action.OVERSIGHT_RUN)
    return transparency_report(ctx, period=period, epsilon=epsilon, actor=actor.actor)


@dataclass(frozen=True, kw_only=True)
class ReportListing:
    id: str
    period: str
    sha256: str
    checkpoint_size: int
    published_at: dt.datetime
    files: tuple[str, ...]


def _public_files(directory: Path) -> tuple[str, ...]:
    return tuple(
        sorted(n for n, (_, public) in REPORT_FILES.items() if public and (directory / n).exists())
    )


def list_reports(ctx: Context) -> list[ReportListing]:
    """Published reports, newest first, from the log's `oversight:report:publish` entries."""
    with ctx.reading() as s:
        rows = s.execute(
            select(t.LedgerEntry.body, t.LedgerEntry.at)
            .where(t.LedgerEntry.tag == EventTag.OVERSIGHT_REPORT_PUBLISH.value)
            .order_by(t.LedgerEntry.idx.desc())
            .limit(500)
        ).all()
    out: list[ReportListing] = []
    seen: set[str] = set()
    for body, at in rows:
        data = json.loads(bytes(body))["data"]
        directory = _reports_dir(ctx) / data["report"]
        if data["report"] in seen or not directory.is_dir():
            continue
        seen.add(data["report"])
        out.append(
            ReportListing(
                id=data["report"],
                period=data["period"],
                sha256=data["sha256"],
                checkpoint_size=int(data["checkpoint"]["size"]),
                published_at=at,
                files=_public_files(directory),
            )
        )
    return out


def report_file(ctx: Context, report_id: str, name: str) -> tuple[bytes, str]:
    """A public file of a published report: (content, media type). Unknown → not found."""
    kind = REPORT_FILES.get(name)
    if kind is None or not kind[1]:
        raise NotFoundError("no such report file")
    if report_id not in {r.id for r in list_reports(ctx)}:
        raise NotFoundError("no such report")
    path = _reports_dir(ctx) / report_id / name
    if not path.is_file():
        raise NotFoundError("no such report file")
    return path.read_bytes(), kind[0]
