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
from custos.oversight._events import EventFrames
from custos.oversight._history import Protection, Publication, protect_history, quarter_atoms
from custos.oversight._noise import NoiseMethod, add_noise
from custos.oversight._periods import Period
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
            "method": method(self.noise),
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


def method(noise: NoiseMethod | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "source": (
            "Computed only from the ledger's entries up to the named checkpoint; recompute "
            "with `custos report verify REPORT --log EXPORT`."
        ),
        "suppression": SUPPRESSION_METHOD,
        "small_cell_range": [SMALL_MIN, SMALL_MAX],
        "noise": None,
    }
    if noise is not None:
        out["noise"] = {
            "mechanism": noise.mechanism,
            "library": noise.library,
            "epsilon": noise.epsilon,
            "per_table_epsilon": noise.per_table_epsilon,
            "tables": noise.tables,
            "order": "noise first, then suppression (post-processing)",
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


def _digest(secret: bytes, figures: ExactFigures) -> str:
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
) -> Report:
    """Aggregate, add noise if asked (before suppression), suppress: the report.

    With noise, `secret` keys a digest of the exact counts, so an auditor given the secret can
    still check the report against the log. An exact report given its publication `history`
    is suppressed so that no withheld cell of it or of any earlier report breaks `protection`
    (`custos.oversight._history`).
    """
    figures = compute(frames, period, catalogue, alert_kinds)
    tables = list(figures.tables)
    noise = None
    digest = None
    kind = "dp-" if epsilon is not None else ""
    report_id = f"transparency-{period.label}-{kind}{checkpoint.size}"
    publication = None
    if epsilon is not None:
        tables, noise = add_noise(tables, epsilon=epsilon, sensitivity=figures.sensitivity)
        if secret is not None:
            digest = _digest(secret, figures)
    if epsilon is None and history is not None:
        rule = protection or Protection()
        protected, publication = protect_history(
            tables,
            report_id=report_id,
            period=period,
            checkpoint=checkpoint.size,
            atoms=quarter_atoms(frames, period, catalogue, alert_kinds),
            history=history,
            protection=rule,
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
        exact_digest=digest,
        publication=publication,
        history_checked=None if publication is None else len(history or ()),
        protection=(protection or Protection()) if publication is not None else None,
    )


def signed_text(*, report_id: str, sha256: str, checkpoint: CheckpointRef) -> str:
    """The text the log's key signs: what the report is and where in the log it stands."""
    return (
        f"{NOTE_HEADER}\n{checkpoint.origin}\n{report_id}\nsha256 {sha256}\n"
        f"checkpoint {checkpoint.size} {checkpoint.root}\n"
    )


def differences(
    published: Mapping[str, Any], frames: EventFrames, *, secret: bytes | None = None
) -> list[str]:
    """Recompute a published report's figures from `frames` and list every mismatch.

    Without noise every published cell and figure is compared exactly. With noise the exact
    counts are compared through the keyed digest when `secret` is given; the published cells
    are then only checked never to show a count from 1 to 10.
    """
    period = Period.parse(published["period"]["label"])
    catalogue = published["catalogue"]
    figures = compute(frames, period, catalogue, published["alert_rules"])
    out: list[str] = []
    noise = published["method"].get("noise")
    tables = {t["key"]: t for t in published["tables"]}
    if noise is None:
        if published["figures"]["median_days_to_decision"] != figures.median_days_to_decision:
            out.append(
                f"median days to decision: published "
                f"{published['figures']['median_days_to_decision']}, "
                f"recomputed {figures.median_days_to_decision}"
            )
        for p in protect_all(figures.tables):
            mine = table_data(p)
            theirs = tables.pop(p.table.key, None)
            if theirs is None:
                out.append(f"table {p.table.key} is missing")
                continue
            out.extend(_table_differences(theirs, mine))
        out.extend(f"table {key} is not one the log gives" for key in tables)
        return out
    for t in published["tables"]:
        for i, row in enumerate(t["cells"]):
            for j, v in enumerate(row):
                if v is not None and SMALL_MIN <= v <= SMALL_MAX:
                    out.append(f"table {t['key']} publishes a small count at {i},{j}")
    if secret is not None and _digest(secret, figures) != published.get("exact_digest"):
        out.append("the exact counts under the noise do not match the log")
    return out


def _table_differences(theirs: Mapping[str, Any], mine: Mapping[str, Any]) -> list[str]:
    key = mine["key"]
    for part in ("rows", "columns"):
        if theirs.get(part) != mine[part]:
            return [f"table {key}: the {part} differ"]
    out = []
    for i, (a, b) in enumerate(zip(theirs.get("cells", []), mine["cells"], strict=False)):
        for j, (x, y) in enumerate(zip(a, b, strict=False)):
            if x != y:
                out.append(
                    f"table {key}, {mine['rows'][i]} × {mine['columns'][j]}: published "
                    f"{'—' if x is None else x}, the log gives {'—' if y is None else y}"
                )
    if len(theirs.get("cells", [])) != len(mine["cells"]):
        out.append(f"table {key}: the number of rows differs")
    return out
