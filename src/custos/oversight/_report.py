"""A transparency report: exact figures → optional noise → suppression → one signed JSON document.

The JSON data file is the report; HTML, PDF and CSV are renderings of it. It names the ledger
checkpoint (origin, size, root) it was computed at, the field catalogue it used to class fields,
and its method, so `verify` can recompute it from a ledger export alone. The signature is a
C2SP signed note by the log's own key over the SHA-256 of the JSON file (see `signed_text`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785

from custos.oversight._aggregate import ExactFigures, compute
from custos.oversight._budget import Budget
from custos.oversight._events import EventFrames
from custos.oversight._history import protect_history
from custos.oversight._noise import NoiseMethod, add_noise
from custos.oversight._periods import Period
from custos.oversight._publication import Protection, Publication, quarter_atoms
from custos.oversight._suppress import SMALL_MAX, SMALL_MIN, ProtectedTable, protect_all

FORMAT = "custos-transparency-report/1"
NOTE_HEADER = "custos transparency report"

SUPPRESSION_METHOD = (
    f"Cells and totals from {SMALL_MIN} to {SMALL_MAX} are not published (CMS cell size "
    "suppression policy). Further cells are withheld so that none of them can be worked out "
    "from the published totals: for every withheld cell, the row and column equations of its "
    "table leave its value undetermined. Tables that share totals withhold the same totals. "
    "Zero is shown. A withheld cell is shown as a dash."
)


CALENDAR_METHOD = (
    "Reports cover a year, a half or a quarter of the calendar, so every published figure is a "
    "sum of per-quarter figures, and two published periods are disjoint or one holds the other."
)
HISTORY_METHOD = (
    "Before publication, every withheld count from 1 to 10 of this report and of every exact "
    "report published before it is bounded by integer programming over all their published "
    "cells, margins and totals together, with the relations between tables (programs, "
    "emergency and bulk rows and sensitivity classes never above the totals they fall in; "
    "the requester and legal-process tables count the same requests). More cells of this "
    "report are withheld until each such count keeps its protection range (tau-ARGUS "
    "protection levels; Hundepool et al., Statistical Disclosure Control, 2012, ch. 4)."
)


@dataclass(frozen=True, kw_only=True)
class CheckpointRef:
    """The ledger checkpoint a report was computed at."""

    origin: str
    size: int
    #: Base64 root hash, as in the checkpoint's text.
    root: str


@dataclass(frozen=True, kw_only=True)
class Report:
    """A computed report, ready to render and sign."""

    id: str
    period: Period
    checkpoint: CheckpointRef
    generated_at: dt.datetime
    catalogue: Mapping[str, str]
    alert_kinds: tuple[str, ...]
    tables: tuple[ProtectedTable, ...]
    median_days_to_decision: float | None
    decisions: int
    noise: NoiseMethod | None
    #: HMAC-SHA-256 of the exact counts under a kept secret, when noise hides them.
    exact_digest: str | None
    #: What the publication history keeps of an exact report checked against it (not
    #: published: it holds the exact per-quarter counts).
    publication: Publication | None = None
    #: How many earlier reports the suppression was checked against, and the rule.
    history_checked: int | None = None
    protection: Protection | None = None
    #: A noisy report's budget statement (`Budget.statement`).
    budget: Mapping[str, Any] | None = None

    def data(self) -> dict[str, Any]:
        """The JSON data file's content."""
        return {
            "format": FORMAT,
            "id": self.id,
            "period": {
                "label": self.period.label,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "checkpoint": {
                "origin": self.checkpoint.origin,
                "size": self.checkpoint.size,
                "root": self.checkpoint.root,
            },
            "generated_at": self.generated_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "method": method(
                self.noise,
                budget=self.budget,
                protection=self.protection,
                history_checked=self.history_checked,
            ),
            "catalogue": dict(sorted(self.catalogue.items())),
            "alert_rules": list(self.alert_kinds),
            "figures": {
                "median_days_to_decision": self.median_days_to_decision,
                "decisions_at_least": None
                if self.median_days_to_decision is None
                else SMALL_MAX + 1,
            },
            "exact_digest": self.exact_digest,
            "tables": [table_data(p) for p in self.tables],
        }

    def json_bytes(self) -> bytes:
        """RFC 8785 canonical JSON: the bytes that are hashed and signed."""
        return bytes(rfc8785.dumps(self.data()))


def method(
    noise: NoiseMethod | None,
    *,
    budget: Mapping[str, Any] | None = None,
    protection: Protection | None = None,
    history_checked: int | None = None,
) -> dict[str, Any]:
    """The report's method section: where the figures come from and how they are protected."""
    out: dict[str, Any] = {
        "source": (
            "Computed only from the ledger's entries up to the named checkpoint; recompute "
            "with `custos report verify REPORT --log EXPORT`."
        ),
        "suppression": SUPPRESSION_METHOD,
        "small_cell_range": [SMALL_MIN, SMALL_MAX],
        "calendar": CALENDAR_METHOD,
        "history": None,
        "noise": None,
    }
    if protection is not None and history_checked is not None:
        out["history"] = {
            "method": HISTORY_METHOD,
            "protection": protection.describe(),
            "earlier_reports_checked": history_checked,
        }
    if noise is not None:
        out["noise"] = {
            "mechanism": noise.mechanism,
            "library": noise.library,
            "epsilon": noise.epsilon,
            "per_table_epsilon": noise.per_table_epsilon,
            "tables": noise.tables,
            "populations": dict(sorted(noise.populations.items())),
            "budget": None if budget is None else dict(budget),
            "order": (
                "noise first, then consistency across linked tables, then suppression "
                "(all post-processing: no further privacy loss)"
            ),
            "privacy_unit": (
                "one request, one person named in a request, or one person-disclosure; "
                "the median is exact and not covered by epsilon"
            ),
        }
    return out


def table_data(p: ProtectedTable) -> dict[str, Any]:
    t = p.table
    return {
        "key": t.key,
        "title": t.title,
        "unit": t.unit,
        "note": t.note,
        "row_header": t.row_header,
        "rows": list(t.row_labels),
        "columns": list(t.column_labels),
        "cells": [list(r) for r in p.cells],
    }


def digest(secret: bytes, figures: ExactFigures) -> str:
    """HMAC-SHA-256 of the exact counts under `secret`."""
    values = {t.key: [list(r) for r in t.values] for t in figures.tables}
    return hmac.new(secret, bytes(rfc8785.dumps(values)), hashlib.sha256).hexdigest()


def build(
    frames: EventFrames,
    *,
    period: Period,
    checkpoint: CheckpointRef,
    catalogue: Mapping[str, str],
    alert_kinds: Sequence[str],
    generated_at: dt.datetime,
    epsilon: float | None = None,
    secret: bytes | None = None,
    history: Sequence[Publication] | None = None,
    protection: Protection | None = None,
    budget: Budget | None = None,
) -> Report:
    """Aggregate, add noise if asked (before suppression), suppress: the report.

    With noise, `secret` keys a digest of the exact counts, so an auditor given the secret can
    still check the report against the log. An exact report given its publication `history`
    is suppressed so that no withheld cell of it or of any earlier report breaks `protection`
    (`custos.oversight._history`).
    """
    figures = compute(frames, period, catalogue, alert_kinds)
    tables = list(figures.tables)
    noise, keyed, statement, publication = None, None, None, None
    kind = "dp-" if epsilon is not None else ""
    report_id = f"transparency-{period.label}-{kind}{checkpoint.size}"
    if epsilon is not None:
        tables, noise = add_noise(tables, epsilon=epsilon, sensitivity=figures.sensitivity)
        statement = None if budget is None else budget.statement(period.quarters, noise.populations)
        keyed = None if secret is None else digest(secret, figures)
    if epsilon is None and history is not None:
        protected, publication = protect_history(
            tables,
            report_id=report_id,
            period=period,
            checkpoint=checkpoint.size,
            atoms=quarter_atoms(frames, period, catalogue, alert_kinds),
            history=history,
            protection=protection or Protection(),
        )
    else:
        protected = protect_all(tables)
    return Report(
        id=report_id,
        period=period,
        checkpoint=checkpoint,
        generated_at=generated_at,
        catalogue=catalogue,
        alert_kinds=tuple(alert_kinds),
        tables=tuple(protected),
        median_days_to_decision=figures.median_days_to_decision,
        decisions=figures.decisions,
        noise=noise,
        exact_digest=keyed,
        publication=publication,
        history_checked=None if publication is None else len(history or ()),
        protection=(protection or Protection()) if publication is not None else None,
        budget=statement,
    )


def signed_text(*, report_id: str, sha256: str, checkpoint: CheckpointRef) -> str:
    """The text the log's key signs: what the report is and where in the log it stands."""
    return (
        f"{NOTE_HEADER}\n{checkpoint.origin}\n{report_id}\nsha256 {sha256}\n"
        f"checkpoint {checkpoint.size} {checkpoint.root}\n"
    )
