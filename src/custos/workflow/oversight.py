"""Oversight services: transparency reports, their verification, alerts, auditor reads.

Reports (issue "Oversight and transparency"). A report is computed only from ledger entries
up to a freshly published checkpoint, so anyone with a ledger export can recompute it. The
JSON data file is signed with the log's own key (a C2SP signed note over its SHA-256, naming
the checkpoint); HTML, PDF and CSV are renderings of it. Published reports are kept under
`<data dir>/reports/<id>/` and announced by an `oversight:report:publish` entry; the public API
lists them from those entries.

Alerts. The rules of `custos.oversight` run over the log; each new alert is appended as an
`oversight:alert:raise` entry, once per alert key (rule and window).

Auditors. Every auditor read is itself logged (`oversight:audit:read`), in its own
transaction, before the read: a read that fails is still a read attempt.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from custos import ledger, oversight
from custos.domain.errors import IntegrityError, InvalidInputError, NotFoundError
from custos.domain.events import Event, EventTag
from custos.domain.principals import SYSTEM_ACTOR, StaffPrincipal
from custos.domain.pseudonyms import NO_MATCH
from custos.domain.roles import Role
from custos.ledger import _verify as export_format
from custos.store import tables as t
from custos.store.ledger_tables import WitnessAlarm
from custos.workflow import ledger as ledger_workflow
from custos.workflow.context import Context

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
_PAGE = 200_000
#: Arbitrary constant (a bigint) naming the alert check's lock on PostgreSQL ("custosa").
_PG_ALERT_LOCK = 0x637573746F7361


class ReportMismatchError(IntegrityError):
    """A report does not match the log it names, or its signature does not verify."""

    kind = "report-mismatch"

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)

    def diagnostics(self) -> str:
        shown = self.problems[:40]
        lines = [str(self), *(f"  {p}" for p in shown)]
        if len(self.problems) > len(shown):
            lines.append(f"  … and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


# --- reading the log ------------------------------------------------------------------------


def _pages(
    session: Session, size: int, tags: Sequence[str] | None = None
) -> Iterator[tuple[list[int], list[bytes]]]:
    start = 0
    while start < size:
        q = select(t.LedgerEntry.idx, t.LedgerEntry.body).where(
            t.LedgerEntry.idx >= start, t.LedgerEntry.idx < min(start + _PAGE, size)
        )
        if tags is not None:
            q = q.where(t.LedgerEntry.tag.in_(list(tags)))
        rows = session.execute(q.order_by(t.LedgerEntry.idx)).all()
        yield [int(i) for i, _ in rows], [bytes(b) for _, b in rows]
        start += _PAGE


def frames_from_store(
    ctx: Context, size: int, tags: Sequence[str] | None = None
) -> oversight.EventFrames:
    """The log's first `size` entries (optionally only some tags), decoded for oversight."""
    with ctx.reading() as session:
        return oversight.decode(oversight.count_chunks(_pages(session, size, tags)))


def frames_from_export(directory: Path, size: int) -> oversight.EventFrames:
    """The first `size` entries of a ledger export, decoded for oversight."""
    path = directory / export_format.ENTRIES
    if not path.exists():
        raise InvalidInputError(f"{directory} holds no {export_format.ENTRIES}")
    return oversight.decode(oversight.count_file(path, size))


def catalogue_classes(ctx: Context) -> dict[str, str]:
    """Field → sensitivity class, from the active pack's catalogue (printed in each report)."""
    return {str(ref): spec.sensitivity.value for ref, spec in ctx.pack().catalogue.items()}


# --- reports --------------------------------------------------------------------------------


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


def transparency_report(
    ctx: Context,
    *,
    period: str,
    epsilon: float | None = None,
    actor: str = SYSTEM_ACTOR,
    pdf: bool = True,
) -> PublishedReport:
    """Compute, sign, store and announce the transparency report for `period`.

    1. Publish a checkpoint; the report covers exactly the entries it signs.
    2. Decode those entries and compute the report (noise, if asked, before suppression).
    3. Sign the SHA-256 of the JSON data file with the log's keys, naming the checkpoint.
    4. Write JSON, HTML, CSV, PDF and the signature; append `oversight:report:publish`.
    """
    parsed = oversight.Period.parse(period)
    if epsilon is not None and not epsilon > 0:
        raise InvalidInputError("epsilon must be a positive number")
    keys = ledger_workflow.signer_keys(ctx.settings)
    checkpoint = ledger_workflow.publish_checkpoint(ctx)
    if checkpoint.size == 0:
        raise NotFoundError("the log is empty; there is nothing to report")
    ref = oversight.CheckpointRef(
        origin=ctx.settings.ledger_origin,
        size=checkpoint.size,
        root=base64.b64encode(checkpoint.root).decode(),
    )
    frames = frames_from_store(ctx, checkpoint.size)
    secret = secrets.token_bytes(32) if epsilon is not None else None
    report = oversight.build(
        frames,
        period=parsed,
        checkpoint=ref,
        catalogue=catalogue_classes(ctx),
        alert_kinds=[k.value for k in oversight.AlertKind],
        generated_at=ctx.now(),
        epsilon=epsilon,
        secret=secret,
    )
    body = report.json_bytes()
    sha = hashlib.sha256(body).hexdigest()
    note = ledger.sign_note_with(
        text=oversight.signed_text(report_id=report.id, sha256=sha, checkpoint=ref),
        signer_keys=keys,
    )
    directory = _reports_dir(ctx) / report.id
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
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
    files = tuple(sorted(p.name for p in directory.iterdir()))
    with ctx.transaction() as s:
        ledger.append(
            s,
            [
                Event(
                    tag=EventTag.OVERSIGHT_REPORT_PUBLISH,
                    at=ctx.now(),
                    actor=actor,
                    data={
                        "report": report.id,
                        "period": parsed.label,
                        "sha256": sha,
                        "checkpoint": {"origin": ref.origin, "size": ref.size, "root": ref.root},
                        "epsilon": None if epsilon is None else str(epsilon),
                    },
                )
            ],
        )
    return PublishedReport(
        id=report.id,
        period=parsed.label,
        directory=directory,
        sha256=sha,
        checkpoint_size=ref.size,
        epsilon=epsilon,
        files=files,
    )


@dataclass(frozen=True, kw_only=True)
class ReportListing:
    id: str
    period: str
    sha256: str
    checkpoint_size: int
    published_at: dt.datetime
    files: tuple[str, ...]


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
                files=tuple(
                    sorted(
                        n
                        for n, (_, public) in REPORT_FILES.items()
                        if public and (directory / n).exists()
                    )
                ),
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


@dataclass(frozen=True, kw_only=True)
class ReportVerification:
    report_id: str
    checkpoint_size: int
    tables: int
    exact_checked: bool
    keys_from_export: bool


def verify_report(
    report: Path,
    export: Path,
    *,
    keys: Sequence[str] = (),
    secret: bytes | None = None,
) -> ReportVerification:
    """Check a report against a ledger export; raises ReportMismatchError on any difference.

    1. The export verifies (signatures, consistency, every entry) with the trusted keys —
       given, or else the export's own `keys.txt` (then the result says so).
    2. The report's checkpoint is one of the export's signed checkpoints.
    3. The signature over the report verifies and names this JSON file's SHA-256.
    4. Every figure, recomputed from the export's entries up to that checkpoint, matches.
    """
    path = report / "report.json" if report.is_dir() else report
    sig = path.with_name("report.sig")
    if not path.is_file() or not sig.is_file():
        raise InvalidInputError("give the report's directory, or its report.json beside report.sig")
    body = path.read_bytes()
    published = json.loads(body)
    if published.get("format") != oversight.FORMAT:
        raise ReportMismatchError("not a Custos transparency report")
    from_export = not keys
    trusted = list(keys)
    if from_export:
        key_file = export / export_format.KEYS
        trusted = (
            [k for k in key_file.read_text(encoding="utf-8").split() if k]
            if key_file.exists()
            else []
        )
    # 1. The export.
    try:
        result = export_format.verify_export(export, verifier_keys=trusted)
    except ledger.VerificationError as exc:
        raise ReportMismatchError(f"the ledger export does not verify: {exc}") from None
    # 2. The checkpoint.
    cp = published["checkpoint"]
    ref = oversight.CheckpointRef(origin=cp["origin"], size=int(cp["size"]), root=cp["root"])
    signed = {
        (c.checkpoint.origin, c.checkpoint.size, base64.b64encode(c.checkpoint.root).decode())
        for c in result.checkpoints
    }
    if (ref.origin, ref.size, ref.root) not in signed:
        raise ReportMismatchError(
            f"the report's checkpoint (size {ref.size}) is not a signed checkpoint of this export"
        )
    # 3. The signature.
    try:
        signed_text = ledger.open_note(note=sig.read_text(encoding="utf-8"), verifier_keys=trusted)
    except ledger.NoteError as exc:
        raise ReportMismatchError(f"the report's signature does not verify: {exc}") from None
    expected = oversight.signed_text(
        report_id=published["id"], sha256=hashlib.sha256(body).hexdigest(), checkpoint=ref
    )
    if signed_text != expected:
        raise ReportMismatchError("the signature is not over this report file and checkpoint")
    # 4. The figures.
    problems = oversight.differences(published, frames_from_export(export, ref.size), secret=secret)
    if problems:
        raise ReportMismatchError(
            f"the report does not match the log at checkpoint {ref.size}", problems
        )
    noise = published["method"].get("noise")
    return ReportVerification(
        report_id=published["id"],
        checkpoint_size=ref.size,
        tables=len(published["tables"]),
        exact_checked=noise is None or secret is not None,
        keys_from_export=from_export,
    )


# --- alerts ---------------------------------------------------------------------------------

_ALERT_INPUT_TAGS = [
    EventTag.REQUEST_INTAKE_RECEIVE.value,
    EventTag.REQUEST_STATUS_APPROVE.value,
    EventTag.REQUEST_STATUS_DENY.value,
    EventTag.REQUEST_STATUS_WITHDRAW.value,
    EventTag.REQUEST_STATUS_LAPSE.value,
    EventTag.RELEASE_PACKAGE_BUILD.value,
    EventTag.RELEASE_DOWNLOAD_RECORD.value,
    EventTag.RELEASE_RETENTION_OVERDUE.value,
    EventTag.OVERSIGHT_ALERT_RAISE.value,
]


def _named_subjects(session: Session) -> pl.DataFrame:
    """(request, pseudonym) of everyone named requests matched; bulk requests left out."""
    bulk = [rid for rid, b in session.execute(select(t.Request.id, t.Request.bulk)) if b]
    q = select(t.RequestSubject.request_id, t.RequestSubject.subject_ref).where(
        t.RequestSubject.subject_ref != NO_MATCH
    )
    if bulk:
        q = q.where(t.RequestSubject.request_id.not_in(bulk))
    rows = session.execute(q).all()
    return pl.DataFrame(
        {"request": [r for r, _ in rows], "subject_ref": [s for _, s in rows]},
        schema={"request": pl.String, "subject_ref": pl.String},
    )


def _alarms(session: Session) -> list[oversight.WitnessAlarmFact]:
    return [
        oversight.WitnessAlarmFact(id=a.id, origin=a.origin, reason=a.reason, at=a.at)
        for a in session.scalars(select(WitnessAlarm).order_by(WitnessAlarm.id))
    ]


def check_alerts(
    ctx: Context, *, rules: oversight.AlertRules | None = None, actor: str = SYSTEM_ACTOR
) -> list[oversight.Alert]:
    """Run every alert rule over the log and append the alerts not raised before."""
    with ctx.transaction() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_ALERT_LOCK})
        size = s.scalar(select(t.LedgerEntry.idx).order_by(t.LedgerEntry.idx.desc()).limit(1))
        size = 0 if size is None else int(size) + 1
        frames = oversight.decode(oversight.count_chunks(_pages(s, size, _ALERT_INPUT_TAGS)))
        found = oversight.evaluate(
            frames, now=ctx.now(), rules=rules, subjects=_named_subjects(s), alarms=_alarms(s)
        )
        if found:
            ledger.append(
                s,
                [
                    Event(
                        tag=EventTag.OVERSIGHT_ALERT_RAISE,
                        at=ctx.now(),
                        actor=actor,
                        request_id=a.request,
                        data=a.data(),
                    )
                    for a in found
                ],
            )
        return found


@dataclass(frozen=True, kw_only=True)
class AlertView:
    index: int
    at: dt.datetime
    alert: str
    key: str | None
    summary: str
    request: str | None
    requester: str | None
    data: dict[str, Any]


#: Who reads alerts and starts the oversight jobs by hand: auditors and admins.
OVERSIGHT_ROLES = (Role.AUDITOR, Role.ADMIN)


def check_alerts_as(ctx: Context, *, actor: StaffPrincipal) -> list[oversight.Alert]:
    """`check_alerts` started by a member of staff who may read alerts."""
    actor.require(*OVERSIGHT_ROLES)
    return check_alerts(ctx, actor=actor.actor)


def transparency_report_as(
    ctx: Context, *, actor: StaffPrincipal, period: str, epsilon: float | None = None
) -> PublishedReport:
    """`transparency_report` published by a member of staff who may read alerts."""
    actor.require(*OVERSIGHT_ROLES)
    return transparency_report(ctx, period=period, epsilon=epsilon, actor=actor.actor)


def list_alerts(ctx: Context, *, actor: StaffPrincipal, limit: int = 200) -> list[AlertView]:
    """Alerts in the log, newest first, for the privacy officer (auditors and admins)."""
    actor.require(*OVERSIGHT_ROLES)
    if not 0 < limit <= ledger_workflow.MAX_PAGE:
        raise InvalidInputError(f"limit must be between 1 and {ledger_workflow.MAX_PAGE}")
    with ctx.reading() as s:
        rows = s.execute(
            select(t.LedgerEntry.idx, t.LedgerEntry.body)
            .where(t.LedgerEntry.tag == EventTag.OVERSIGHT_ALERT_RAISE.value)
            .order_by(t.LedgerEntry.idx.desc())
            .limit(limit)
        ).all()
    out = []
    for idx, body in rows:
        event = json.loads(bytes(body))
        data = event["data"]
        out.append(
            AlertView(
                index=int(idx),
                at=dt.datetime.fromisoformat(event["at"]),
                alert=str(data.get("alert", "")),
                key=data.get("key"),
                summary=str(data.get("summary", data.get("alert", ""))),
                request=event.get("request"),
                requester=data.get("requester"),
                data=data,
            )
        )
    return out


# --- auditors -------------------------------------------------------------------------------


def log_audit_read(ctx: Context, *, actor: StaffPrincipal, what: str, **detail: Any) -> None:
    """Check the auditor role and log the read, committed before the read itself runs."""
    actor.require(Role.AUDITOR)
    with ctx.transaction() as s:
        ledger.append(
            s,
            [
                Event(
                    tag=EventTag.OVERSIGHT_AUDIT_READ,
                    at=ctx.now(),
                    actor=actor.actor,
                    request_id=detail.pop("request_id", None),
                    data={"read": what, **detail},
                )
            ],
        )


@dataclass(frozen=True, kw_only=True)
class ManifestView:
    release: str
    request: str
    manifest: dict[str, Any]
    signature: str


def _release_rows(session: Session, release_id: str | None = None) -> list[Any]:
    try:
        from custos.store.release_tables import Release
    except ImportError:  # pragma: no cover - a build without releases
        return []
    q = select(Release).order_by(Release.created_at)
    if release_id is not None:
        q = q.where(Release.id == release_id)
    return list(session.scalars(q))


def release_manifest(ctx: Context, *, actor: StaffPrincipal, release_id: str) -> ManifestView:
    """A release's signed manifest (auditors; logged)."""
    log_audit_read(ctx, actor=actor, what="release_manifest", release=release_id)
    with ctx.reading() as s:
        rows = _release_rows(s, release_id)
        if not rows:
            raise NotFoundError("no such release")
        row = rows[0]
        return ManifestView(
            release=row.id,
            request=row.request_id,
            manifest=json.loads(row.manifest),
            signature=row.signature,
        )


_BUNDLE_README = """# Custos audit bundle

Exported {at} by {actor} from the ledger `{origin}`.

- `entries.jsonl`, `leaves.bin`, `checkpoints.jsonl`, `keys.txt` — the ledger export: every
  entry, its leaf hash, every signed checkpoint with consistency proofs, and the log's
  verifier keys.
- `manifests/<release>.json` and `.sig` — each release's signed manifest ({manifests} releases).

Check it offline, trusting the log's published verifier key (compare it with `keys.txt`):

    custos ledger verify {directory} --key '<verifier key>'

and any transparency report against it:

    custos report verify REPORT_DIRECTORY --log {directory} --key '<verifier key>'
"""


@dataclass(frozen=True, kw_only=True)
class BundleSummary:
    directory: Path
    entries: int
    checkpoints: int
    manifests: int


def export_bundle(ctx: Context, *, actor: StaffPrincipal, directory: Path) -> BundleSummary:
    """A self-contained audit bundle: the ledger export, keys, release manifests, a README.

    The read is logged first and a checkpoint published after it, so the bundle itself
    records that it was taken.
    """
    log_audit_read(ctx, actor=actor, what="audit_bundle")
    ledger_workflow.publish_checkpoint(ctx)
    if directory.exists() and any(directory.iterdir()):
        raise InvalidInputError(f"{directory} is not empty")
    summary = ledger_workflow.export(ctx, directory)
    manifests = directory / "manifests"
    manifests.mkdir()
    count = 0
    with ctx.reading() as s:
        for row in _release_rows(s):
            (manifests / f"{row.id}.json").write_text(row.manifest, encoding="utf-8")
            (manifests / f"{row.id}.sig").write_text(row.signature, encoding="utf-8")
            count += 1
    (directory / "README.md").write_text(
        _BUNDLE_README.format(
            at=ctx.now().isoformat(timespec="seconds"),
            actor=actor.username,
            origin=ctx.settings.ledger_origin,
            manifests=count,
            directory=directory.name,
        ),
        encoding="utf-8",
    )
    return BundleSummary(
        directory=directory,
        entries=summary.entries,
        checkpoints=summary.checkpoints,
        manifests=count,
    )
