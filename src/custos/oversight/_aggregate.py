"""Exact figures of a transparency report, computed from ledger entries only.

Everything here is a function of the entries up to a checkpoint and of the field catalogue
printed in the report, so anyone holding a ledger export recomputes the same numbers
(`custos report verify`). Which request falls in a period is decided by its intake entry's
time; its outcome is its state at the checkpoint.

Outcomes. Denied, withdrawn and lapsed come from the request's terminal status entry. An
approved request is "fully granted" when the decision approved carried every asked field for
every person, "partly granted" when some field was withheld from some person (the per-field
effect counts of the decision entry), and "preserved" for a preservation request. Anything else
is still pending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from custos.domain.disclosure import RequesterKind
from custos.domain.events import EventTag
from custos.domain.legal import LegalProcessKind
from custos.domain.programs import Program, Sensitivity
from custos.oversight._events import EventFrames
from custos.oversight._periods import Period
from custos.oversight._suppress import CountTable

OUTCOMES = (
    "fully_granted",
    "partly_granted",
    "denied",
    "withdrawn",
    "lapsed",
    "preserved",
    "pending",
)
OUTCOME_LINK = "requests-by-outcome"
#: Fewer decisions than this and the median is not published (the small-cell rule for a statistic).
MIN_FOR_MEDIAN = 11
#: Quarters after the period's end that hidden-notice end dates are shown by; later is one row.
NOTICE_QUARTERS_AHEAD = 8


@dataclass(frozen=True, kw_only=True)
class ExactFigures:
    """Everything a report publishes, before noise and suppression."""

    tables: tuple[CountTable, ...]
    #: Median days from receipt to approval or denial; None under `MIN_FOR_MEDIAN` decisions.
    median_days_to_decision: float | None
    decisions: int
    entries: int
    #: L1 sensitivity of each table for the optional noise: cells one unit can fall in.
    sensitivity: Mapping[str, int]


def _iso(day: Period) -> tuple[str, str]:
    fmt = "%Y-%m-%dT%H:%M:%S.000000Z"
    return day.start_at.strftime(fmt), day.end_at.strftime(fmt)


def _in_period(period: Period) -> pl.Expr:
    start, end = _iso(period)
    return (pl.col("at") >= start) & (pl.col("at") < end)


def _field(name: str) -> pl.Expr:
    return pl.col("data").struct.field(name)


def _intake(frames: EventFrames, period: Period) -> pl.DataFrame:
    return (
        frames.intake.filter(_in_period(period))
        .sort("idx")
        .unique("request", keep="first")
        .select(
            "request",
            pl.col("at").alias("received_at"),
            _field("requester_kind").alias("requester_kind"),
            _field("legal_process").alias("legal_process"),
            _field("fields").alias("fields"),
            _field("bulk").struct.field("programs").alias("bulk_programs"),
            _field("emergency").fill_null(value=False).alias("emergency"),
            _field("bulk").is_not_null().alias("bulk"),
        )
    )


def _has(tag: EventTag) -> pl.Expr:
    return pl.col("tags").list.contains(tag.value).fill_null(value=False)


def _outcome() -> pl.Expr:
    """A request's outcome at the checkpoint, from its status tags and its decision."""
    return (
        pl.when(_has(EventTag.REQUEST_STATUS_DENY))
        .then(pl.lit("denied"))
        .when(_has(EventTag.REQUEST_STATUS_WITHDRAW))
        .then(pl.lit("withdrawn"))
        .when(_has(EventTag.REQUEST_STATUS_LAPSE))
        .then(pl.lit("lapsed"))
        .when(_has(EventTag.REQUEST_STATUS_APPROVE) & (pl.col("decided") == "preserve"))
        .then(pl.lit("preserved"))
        .when(
            _has(EventTag.REQUEST_STATUS_APPROVE)
            & (
                (pl.col("decided") == "partly_approved")
                | ((pl.col("decided") == "needs_review") & pl.col("withholds"))
            )
        )
        .then(pl.lit("partly_granted"))
        .when(_has(EventTag.REQUEST_STATUS_APPROVE))
        .then(pl.lit("fully_granted"))
        .otherwise(pl.lit("pending"))
    )


def _later_facts(frames: EventFrames) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Per request: the corrected legal process, the last decision, the status tags."""
    corrected = (
        frames.corrections.sort("idx")
        .group_by("request")
        .agg(_field("legal_process").last().alias("corrected_process"))
    )
    decision = (
        frames.decisions.sort("idx")
        .group_by("request")
        .agg(
            _field("outcome").last().alias("decided"),
            pl.col("withholds").last(),
            _field("subjects").drop_nulls().last().alias("subjects"),
        )
    )
    final = [EventTag.REQUEST_STATUS_APPROVE.value, EventTag.REQUEST_STATUS_DENY.value]
    statuses = frames.statuses.group_by("request").agg(
        pl.col("tag").alias("tags"),
        pl.col("at").filter(pl.col("tag").is_in(final)).min().alias("decided_at"),
    )
    return corrected, decision, statuses


def _requests(frames: EventFrames, period: Period) -> pl.DataFrame:
    """One row per request received in the period, with its outcome at the checkpoint."""
    corrected, decision, statuses = _later_facts(frames)
    joined = (
        _intake(frames, period)
        .join(corrected, on="request", how="left")
        .join(decision, on="request", how="left")
        .join(statuses, on="request", how="left")
    )
    programs = (
        pl.concat_list(
            pl.col("fields").list.eval(pl.element().str.split("/").list.first()),
            pl.col("bulk_programs").fill_null([]),
        )
        .list.unique()
        .alias("programs")
    )
    return joined.select(
        "request",
        "requester_kind",
        pl.coalesce("corrected_process", "legal_process").alias("legal_process"),
        _outcome().alias("outcome"),
        programs,
        "emergency",
        "bulk",
        pl.col("subjects").fill_null(0),
        "received_at",
        "decided_at",
    )


def _crosstab(
    frame: pl.DataFrame, row: str, rows: Sequence[str], column: str, columns: Sequence[str]
) -> tuple[tuple[int, ...], ...]:
    counts: dict[tuple[str, str], int] = {}
    if frame.height:
        grouped = frame.group_by(row, column).agg(pl.col("w").sum())
        for r, c, w in grouped.iter_rows():
            counts[(str(r), str(c))] = int(w)
    return tuple(tuple(counts.get((r, c), 0) for c in columns) for r in rows)


def _ones(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.lit(1, dtype=pl.Int64).alias("w"))


def _quarters(period: Period) -> list[str]:
    year, quarter = period.start.year, (period.start.month - 1) // 3 + 1
    end_year, end_quarter = period.end.year, (period.end.month - 1) // 3 + 1
    out = []
    while (year, quarter) < (end_year + NOTICE_QUARTERS_AHEAD // 4, end_quarter):
        out.append(f"{year}-Q{quarter}")
        quarter += 1
        if quarter > 4:  # noqa: PLR2004 - quarters of a year
            year, quarter = year + 1, 1
    return out


def _request_tables(requests: pl.DataFrame) -> list[CountTable]:
    kinds = [k.value for k in RequesterKind]
    processes = [k.value for k in LegalProcessKind]
    programs = [p.value for p in Program]
    special = pl.concat(
        [
            requests.filter(pl.col("emergency")).with_columns(pl.lit("emergency").alias("kind")),
            requests.filter(pl.col("bulk")).with_columns(pl.lit("bulk").alias("kind")),
        ]
    )
    by_program = requests.explode("programs")
    return [
        CountTable(
            key="requests_by_requester_kind",
            title="Requests by kind of requester and outcome",
            unit="requests",
            row_header="Requester",
            rows=tuple(kinds),
            columns=OUTCOMES,
            values=_crosstab(requests, "requester_kind", kinds, "outcome", OUTCOMES),
            link=OUTCOME_LINK,
        ),
        CountTable(
            key="requests_by_legal_process",
            title="Requests by legal process (as classified on review) and outcome",
            unit="requests",
            row_header="Legal process",
            rows=tuple(processes),
            columns=OUTCOMES,
            values=_crosstab(requests, "legal_process", processes, "outcome", OUTCOMES),
            link=OUTCOME_LINK,
        ),
        CountTable(
            key="requests_by_program",
            title="Requests by program and outcome",
            unit="requests",
            row_header="Program",
            rows=tuple(programs),
            columns=OUTCOMES,
            values=_crosstab(by_program, "programs", programs, "outcome", OUTCOMES),
            column_totals=False,
            note="A request asking for fields of several programs is counted under each.",
        ),
        CountTable(
            key="emergency_and_bulk",
            title="Emergency and bulk requests by outcome",
            unit="requests",
            row_header="Kind of request",
            rows=("emergency", "bulk"),
            columns=OUTCOMES,
            values=_crosstab(special, "kind", ["emergency", "bulk"], "outcome", OUTCOMES),
            column_totals=False,
        ),
    ]


def _accounting(frames: EventFrames, period: Period) -> pl.DataFrame:
    return frames.accounting.filter(_in_period(period)).select(
        pl.col("n").cast(pl.Int64).alias("w"),
        _field("requester_kind").alias("requester_kind"),
        _field("fields").alias("fields"),
        _field("notice_delayed_until").alias("notice_until"),
    )


def _people_table(requests: pl.DataFrame, accounting: pl.DataFrame) -> CountTable:
    kinds = [k.value for k in RequesterKind]
    named = requests.select("requester_kind", pl.col("subjects").alias("w")).with_columns(
        pl.lit("named in requests").alias("measure")
    )
    disclosed = accounting.select("requester_kind", "w").with_columns(
        pl.lit("whose data was disclosed").alias("measure")
    )
    measures = ("named in requests", "whose data was disclosed")
    return CountTable(
        key="people_affected",
        title="People affected, by kind of requester",
        unit="people",
        row_header="Requester",
        rows=tuple(kinds),
        columns=measures,
        values=_crosstab(
            pl.concat([named, disclosed]), "requester_kind", kinds, "measure", measures
        ),
        row_totals=False,
        note=(
            "People named in the period's requests (bulk requests: everyone the criterion "
            "selected), and person-disclosures in the period: a person whose data left in "
            "two releases is counted twice."
        ),
    )


def _sensitivity_table(accounting: pl.DataFrame, catalogue: Mapping[str, str]) -> CountTable:
    kinds = [k.value for k in RequesterKind]
    classes = [s.value for s in Sensitivity]
    field_class = pl.DataFrame(
        {"field": list(catalogue), "class": list(catalogue.values())},
        schema={"field": pl.String, "class": pl.String},
    )
    by_class = (
        accounting.with_row_index("entry")
        .explode("fields")
        .join(field_class, left_on="fields", right_on="field", how="inner")
        .unique(["entry", "class"])
    )
    return CountTable(
        key="fields_by_sensitivity",
        title="Person-disclosures including a field of each sensitivity class",
        unit="person-disclosures",
        row_header="Sensitivity class",
        rows=tuple(classes),
        columns=tuple(kinds),
        values=_crosstab(by_class, "class", classes, "requester_kind", kinds),
        column_totals=False,
        note="A disclosure carrying fields of several classes is counted in each.",
    )


def _notice_quarters(accounting: pl.DataFrame) -> pl.DataFrame:
    """Delayed-notice person-disclosures with the calendar quarter their delay ends in."""
    return accounting.filter(pl.col("notice_until").is_not_null()).with_columns(
        (
            pl.col("notice_until").str.slice(0, 4)
            + "-Q"
            + ((pl.col("notice_until").str.slice(5, 2).cast(pl.Int32) - 1) // 3 + 1).cast(pl.String)
        ).alias("quarter")
    )


def notice_by_quarter(frames: EventFrames, period: Period) -> dict[str, int]:
    """Delayed notices of the period's disclosures by the calendar quarter the delay ends in,
    unclamped: the per-quarter unknowns the `hidden_notice` rows of any period sum."""
    hidden = _notice_quarters(_accounting(frames, period))
    if not hidden.height:
        return {}
    grouped = hidden.group_by("quarter").agg(pl.col("w").sum())
    return {str(q): int(w) for q, w in grouped.iter_rows()}


def notice_row(quarter: str, rows: Sequence[str]) -> str:
    """The `hidden_notice` row a delay ending in `quarter` is counted in (rows: quarters,
    then "later"; an earlier quarter counts in the first)."""
    if quarter in rows:
        return quarter
    return rows[0] if quarter < rows[0] else "later"


def _hidden_table(accounting: pl.DataFrame, period: Period) -> CountTable:
    quarters = _quarters(period)
    hidden = _notice_quarters(accounting).with_columns(
        pl.when(pl.col("quarter").is_in(quarters))
        .then(pl.col("quarter"))
        .when(pl.col("quarter") < quarters[0])
        .then(pl.lit(quarters[0]))
        .otherwise(pl.lit("later"))
        .alias("quarter"),
        pl.lit("entries").alias("measure"),
    )
    notice_rows = (*quarters, "later")
    return CountTable(
        key="hidden_notice",
        title="Disclosures whose notice to the person is delayed, by quarter the delay ends",
        unit="person-disclosures",
        row_header="Notice delayed until",
        rows=notice_rows,
        columns=("entries",),
        values=_crosstab(hidden, "quarter", notice_rows, "measure", ["entries"]),
        row_totals=False,
        note="Notice may be delayed only where a court order says so.",
    )


def _challenge_table(frames: EventFrames, period: Period) -> CountTable:
    filed = frames.challenges_filed.filter(_in_period(period)).select(
        _field("challenge").alias("challenge")
    )
    resolved = (
        frames.challenges_resolved.sort("idx")
        .group_by(_field("challenge").alias("challenge"))
        .agg(_field("outcome").last().alias("outcome"))
    )
    columns = ("upheld", "rejected", "open")
    challenges = (
        filed.unique()
        .join(resolved, on="challenge", how="left")
        .with_columns(
            pl.col("outcome").fill_null("open"),
            pl.lit("challenges filed").alias("row"),
            pl.lit(1, dtype=pl.Int64).alias("w"),
        )
    )
    return CountTable(
        key="challenges",
        title="Challenges filed by people, by outcome",
        unit="challenges",
        row_header="",
        rows=("challenges filed",),
        columns=columns,
        values=_crosstab(challenges, "row", ["challenges filed"], "outcome", columns),
        column_totals=False,
    )


def _overdue_table(frames: EventFrames, period: Period) -> CountTable:
    kinds = [k.value for k in RequesterKind]
    all_intake = frames.intake.select(
        "request", _field("requester_kind").alias("requester_kind")
    ).unique("request")
    overdue = (
        frames.overdue.filter(_in_period(period))
        .select(_field("release").alias("release"), "request")
        .unique("release")
        .join(all_intake, on="request", how="left")
        .with_columns(
            pl.col("requester_kind").fill_null("other"),
            pl.lit("releases").alias("measure"),
            pl.lit(1, dtype=pl.Int64).alias("w"),
        )
    )
    return CountTable(
        key="retention_overdue",
        title="Releases past their retention deadline without a destruction attestation",
        unit="releases",
        row_header="Requester",
        rows=tuple(kinds),
        columns=("releases",),
        values=_crosstab(overdue, "requester_kind", kinds, "measure", ["releases"]),
        row_totals=False,
    )


def _alert_table(frames: EventFrames, period: Period, alert_kinds: Sequence[str]) -> CountTable:
    alerts = frames.alerts.filter(_in_period(period)).select(
        _field("alert").alias("alert"),
        pl.lit("alerts").alias("measure"),
        pl.col("n").cast(pl.Int64).alias("w"),
    )
    seen = sorted(set(alerts["alert"].drop_nulls().to_list()) - set(alert_kinds))
    alert_rows = (*alert_kinds, *seen)
    return CountTable(
        key="alerts",
        title="Oversight alerts raised, by rule",
        unit="alerts",
        row_header="Rule",
        rows=alert_rows,
        columns=("alerts",),
        values=_crosstab(alerts, "alert", alert_rows, "measure", ["alerts"]),
        row_totals=False,
    )


def _median_days(requests: pl.DataFrame) -> tuple[float | None, int]:
    decided = requests.filter(pl.col("decided_at").is_not_null())
    days = (
        pl.col("decided_at").str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_zone="UTC")
        - pl.col("received_at").str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_zone="UTC")
    ).dt.total_seconds() / 86400
    median = decided.select(days.median()).item() if decided.height >= MIN_FOR_MEDIAN else None
    return (None if median is None else round(float(median), 1)), decided.height


def compute(
    frames: EventFrames, period: Period, catalogue: Mapping[str, str], alert_kinds: Sequence[str]
) -> ExactFigures:
    """The exact figures for `period` from the decoded entries (see the module docstring)."""
    requests = _ones(_requests(frames, period))
    accounting = _accounting(frames, period)
    tables = [
        *_request_tables(requests),
        _people_table(requests, accounting),
        _sensitivity_table(accounting, catalogue),
        _hidden_table(accounting, period),
        _challenge_table(frames, period),
        _overdue_table(frames, period),
        _alert_table(frames, period, alert_kinds),
    ]
    median, decisions = _median_days(requests)
    return ExactFigures(
        tables=tuple(tables),
        median_days_to_decision=median,
        decisions=decisions,
        entries=frames.entries,
        sensitivity={
            "fields_by_sensitivity": len(Sensitivity),
            "requests_by_program": len(Program),
        },
    )
