"""Alert rules: patterns in the log that a privacy officer must look at.

Each rule is a pure function of decoded ledger entries (and, for two rules, of facts the log
does not carry: which pseudonymous people a request named, and a witness's alarms). Each alert
has a stable `key` naming the rule and its window — a requester's ISO week, a request, a
release — so evaluating the rules again never raises the same alert twice.

The rules (thresholds in `AlertRules`):

1. `request_rate_spike` — a requester's requests in an ISO week reach `rate_min` and at least
   `rate_factor` times its weekly average over the `rate_baseline_weeks` weeks before.
2. `bulk_request` — every bulk request (a criterion instead of named people).
3. `cumulative_extraction` — the people named in one requester's non-bulk requests in one ISO
   week reach `cumulative_people`: many narrow requests that together are a bulk extraction.
4. `repeat_after_denial` — a requester asks again about a person after at least
   `repeat_min_denials` of its requests naming that person were denied.
5. `release_not_downloaded` — a release not downloaded `download_days` after it was built.
6. `release_destruction_overdue` — a release past its retention deadline without a destruction
   attestation (the same alert the retention sweep raises; either raises it once).
7. `witness_inconsistent_checkpoint` — a witness reported a checkpoint inconsistent with one it
   had seen: the log may have been forked or rewritten.

Two alerts are raised where they happen rather than by a rule: `staff_signin_lockout` and
`requester_signin_lockout`, when repeated wrong sign-ins lock a staff or officer username
(`custos.workflow.staff_sessions`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import polars as pl

from custos.domain.events import EventTag
from custos.oversight._events import EventFrames


class AlertKind(StrEnum):
    REQUEST_RATE_SPIKE = "request_rate_spike"
    BULK_REQUEST = "bulk_request"
    CUMULATIVE_EXTRACTION = "cumulative_extraction"
    REPEAT_AFTER_DENIAL = "repeat_after_denial"
    RELEASE_NOT_DOWNLOADED = "release_not_downloaded"
    RELEASE_DESTRUCTION_OVERDUE = "release_destruction_overdue"
    WITNESS_INCONSISTENT_CHECKPOINT = "witness_inconsistent_checkpoint"
    #: Raised by the staff sign-in itself, not by a rule over the log.
    STAFF_SIGNIN_LOCKOUT = "staff_signin_lockout"
    #: Raised by the requester portal's sign-in, like the staff one.
    REQUESTER_SIGNIN_LOCKOUT = "requester_signin_lockout"


@dataclass(frozen=True, kw_only=True)
class AlertRules:
    """Thresholds of the rules; the defaults are the agency's starting point, not law."""

    rate_min: int = 20
    rate_factor: float = 3.0
    rate_baseline_weeks: int = 4
    cumulative_people: int = 100
    repeat_min_denials: int = 1
    download_days: int = 14


@dataclass(frozen=True, kw_only=True)
class WitnessAlarmFact:
    """A witness's report that a checkpoint was inconsistent with one it had seen."""

    id: int
    origin: str
    reason: str
    at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class Alert:
    kind: AlertKind
    #: Stable identity of the alert: rule and window. Raised at most once.
    key: str
    summary: str
    requester: str | None = None
    request: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        """The `oversight:alert:raise` event's data (no personal data)."""
        return {
            "alert": self.kind.value,
            "key": self.key,
            "summary": self.summary,
            "requester": self.requester,
            **self.detail,
        }


def _week(col: str) -> pl.Expr:
    """ISO week of a timestamp column, as the Monday it starts on."""
    day = pl.col(col).str.slice(0, 10).str.to_date("%Y-%m-%d")
    return day.dt.truncate("1w").cast(pl.String)


def _intake(frames: EventFrames) -> pl.DataFrame:
    d = pl.col("data")
    return frames.intake.sort("idx").select(
        "request",
        "idx",
        "at",
        d.struct.field("requester").alias("requester"),
        d.struct.field("named_subjects").fill_null(0).alias("named"),
        d.struct.field("bulk").is_not_null().alias("bulk"),
        _week("at").alias("week"),
    )


def rate_spikes(intake: pl.DataFrame, rules: AlertRules) -> list[Alert]:
    weekly = intake.group_by("requester", "week").agg(pl.len().alias("count"))
    out = []
    by_requester: dict[str, dict[dt.date, int]] = {}
    for requester, week, count in weekly.iter_rows():
        by_requester.setdefault(requester, {})[dt.date.fromisoformat(week)] = count
    for requester, weeks in sorted(by_requester.items()):
        for week, count in sorted(weeks.items()):
            before = [
                weeks.get(week - dt.timedelta(weeks=k), 0)
                for k in range(1, rules.rate_baseline_weeks + 1)
            ]
            baseline = sum(before) / rules.rate_baseline_weeks
            if count >= rules.rate_min and count >= rules.rate_factor * baseline:
                out.append(
                    Alert(
                        kind=AlertKind.REQUEST_RATE_SPIKE,
                        key=f"{AlertKind.REQUEST_RATE_SPIKE}:{requester}:{week.isoformat()}",
                        summary=(
                            f"{count} requests in the week of {week.isoformat()}, against a "
                            f"weekly average of {baseline:.1f} over the {len(before)} weeks before"
                        ),
                        requester=requester,
                        detail={"week": week.isoformat(), "requests": count, "baseline": baseline},
                    )
                )
    return out


def bulk_requests(intake: pl.DataFrame) -> list[Alert]:
    return [
        Alert(
            kind=AlertKind.BULK_REQUEST,
            key=f"{AlertKind.BULK_REQUEST}:{request}",
            summary="a bulk request (a criterion instead of named people)",
            requester=requester,
            request=request,
        )
        for request, requester in intake.filter(pl.col("bulk"))
        .select("request", "requester")
        .iter_rows()
    ]


def cumulative_extraction(intake: pl.DataFrame, rules: AlertRules) -> list[Alert]:
    weekly = (
        intake.filter(~pl.col("bulk"))
        .group_by("requester", "week")
        .agg(pl.col("named").sum().alias("people"), pl.len().alias("requests"))
        .filter(pl.col("people") >= rules.cumulative_people)
        .sort("requester", "week")
    )
    return [
        Alert(
            kind=AlertKind.CUMULATIVE_EXTRACTION,
            key=f"{AlertKind.CUMULATIVE_EXTRACTION}:{requester}:{week}",
            summary=(
                f"{people} people named in {requests} requests in the week of {week}: "
                "together a bulk extraction"
            ),
            requester=requester,
            detail={"week": week, "people": people, "requests": requests},
        )
        for requester, week, people, requests in weekly.iter_rows()
    ]


def repeat_after_denial(
    intake: pl.DataFrame, frames: EventFrames, subjects: pl.DataFrame, rules: AlertRules
) -> list[Alert]:
    """`subjects`: (request, subject_ref) of the people named requests matched (not bulk)."""
    if subjects.height == 0:
        return []
    denied = frames.statuses.filter(pl.col("tag") == EventTag.REQUEST_STATUS_DENY.value).select(
        "request", pl.col("idx").alias("denied_idx")
    )
    named = subjects.join(intake.select("request", "requester", "idx"), on="request")
    earlier = named.join(denied, on="request").select(
        "requester", "subject_ref", pl.col("request").alias("denied_request"), "denied_idx"
    )
    pairs = (
        named.join(earlier, on=["requester", "subject_ref"])
        .filter(pl.col("denied_idx") < pl.col("idx"))
        .group_by("request", "requester")
        .agg(pl.col("denied_request").n_unique().alias("denials"))
        .filter(pl.col("denials") >= rules.repeat_min_denials)
        .sort("request")
    )
    return [
        Alert(
            kind=AlertKind.REPEAT_AFTER_DENIAL,
            key=f"{AlertKind.REPEAT_AFTER_DENIAL}:{request}",
            summary=f"asks again about a person after {denials} denied request(s) naming them",
            requester=requester,
            request=request,
            detail={"denials": denials},
        )
        for request, requester, denials in pairs.iter_rows()
    ]


def _release_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        "request", "at", pl.col("data").struct.field("release").alias("release")
    ).unique("release", keep="first")


def not_downloaded(frames: EventFrames, now: dt.datetime, rules: AlertRules) -> list[Alert]:
    cutoff = (now - dt.timedelta(days=rules.download_days)).astimezone(dt.UTC)
    stamp = cutoff.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    downloaded = _release_rows(frames.downloads).select("release")
    late = (
        _release_rows(frames.builds)
        .filter(pl.col("at") <= stamp)
        .join(downloaded, on="release", how="anti")
        .sort("release")
    )
    return [
        Alert(
            kind=AlertKind.RELEASE_NOT_DOWNLOADED,
            key=f"{AlertKind.RELEASE_NOT_DOWNLOADED}:{release}",
            summary=f"release {release} built {at[:10]} and not downloaded",
            request=request,
            detail={"release": release},
        )
        for request, at, release in late.iter_rows()
    ]


def retention_overdue(frames: EventFrames) -> list[Alert]:
    return [
        Alert(
            kind=AlertKind.RELEASE_DESTRUCTION_OVERDUE,
            key=f"{AlertKind.RELEASE_DESTRUCTION_OVERDUE}:{release}",
            summary=f"release {release} is past its retention deadline without destruction",
            request=request,
            detail={"release": release},
        )
        for request, _, release in _release_rows(frames.overdue).sort("release").iter_rows()
    ]


def witness_alarms(alarms: Sequence[WitnessAlarmFact]) -> list[Alert]:
    return [
        Alert(
            kind=AlertKind.WITNESS_INCONSISTENT_CHECKPOINT,
            key=f"{AlertKind.WITNESS_INCONSISTENT_CHECKPOINT}:{a.id}",
            summary=f"a witness reports an inconsistent checkpoint of {a.origin}: {a.reason}",
            detail={"origin": a.origin, "witness_alarm": a.id},
        )
        for a in alarms
    ]


def raised_keys(frames: EventFrames) -> set[str]:
    """Keys of the alerts already in the log (older entries without a key: rule + release)."""
    d = pl.col("data")
    keys = frames.alerts.select(
        pl.coalesce(
            d.struct.field("key"),
            d.struct.field("alert") + ":" + d.struct.field("release"),
        ).alias("key")
    )
    return set(keys["key"].drop_nulls().to_list())


def evaluate(
    frames: EventFrames,
    *,
    now: dt.datetime,
    rules: AlertRules | None = None,
    subjects: pl.DataFrame | None = None,
    alarms: Sequence[WitnessAlarmFact] = (),
) -> list[Alert]:
    """Every alert the rules raise on these entries that the log does not hold yet."""
    rules = rules or AlertRules()
    intake = _intake(frames)
    found = [
        *rate_spikes(intake, rules),
        *bulk_requests(intake),
        *cumulative_extraction(intake, rules),
        *repeat_after_denial(
            intake,
            frames,
            subjects
            if subjects is not None
            else pl.DataFrame(schema={"request": pl.String, "subject_ref": pl.String}),
            rules,
        ),
        *not_downloaded(frames, now, rules),
        *retention_overdue(frames),
        *witness_alarms(alarms),
    ]
    seen = raised_keys(frames)
    out = []
    for alert in found:
        if alert.key not in seen:
            seen.add(alert.key)
            out.append(alert)
    return out
