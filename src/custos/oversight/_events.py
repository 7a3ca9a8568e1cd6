"""Ledger entries into Polars frames, in bulk, for reports and alerts.

An entry is RFC 8785 canonical JSON, whose keys are sorted: `actor`, `at`, `data`, `request`,
`tag`. So every entry ends in `"tag":"<tag>"}` and its tag is read without decoding the rest.

Most entries of a large log are accounting entries, one per person disclosed, and the entries
of one release and decision class differ only in the person they name (`data.subject`, which
no report reads). The subject's value is blanked, then lines are counted — `group_by(line)` —
and only distinct lines are decoded, each with its count `n` and the index `idx` of its first
occurrence. That keeps the work on ten million entries to one pass of hashing in Polars.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from custos.domain.events import EventTag

_TAG = r'"tag":"([^"]*)"\}$'
#: Canonical JSON escapes every control character, so this byte never occurs raw in an entry.
_NO_SEPARATOR = "\x1f"

_STR = pl.String
_STRS = pl.List(pl.String)

INTAKE = pl.Struct(
    {
        "at": _STR,
        "request": _STR,
        "data": pl.Struct(
            {
                "requester": _STR,
                "requester_kind": _STR,
                "legal_process": _STR,
                "purpose": _STR,
                "fields": _STRS,
                "named_subjects": pl.Int64,
                "bulk": pl.Struct({"programs": _STRS}),
                "emergency": pl.Boolean,
                "preservation": pl.Boolean,
            }
        ),
    }
)
DECISION = pl.Struct(
    {"at": _STR, "request": _STR, "data": pl.Struct({"outcome": _STR, "subjects": pl.Int64})}
)
CORRECTION = pl.Struct({"at": _STR, "request": _STR, "data": pl.Struct({"legal_process": _STR})})
PLAIN = pl.Struct({"at": _STR, "request": _STR})
ACCOUNTING = pl.Struct(
    {
        "at": _STR,
        "request": _STR,
        "data": pl.Struct(
            {
                "release": _STR,
                "requester": _STR,
                "requester_kind": _STR,
                "fields": _STRS,
                "notice_delayed_until": _STR,
            }
        ),
    }
)
RELEASE = pl.Struct({"at": _STR, "request": _STR, "data": pl.Struct({"release": _STR})})
CHALLENGE = pl.Struct(
    {"at": _STR, "request": _STR, "data": pl.Struct({"challenge": _STR, "outcome": _STR})}
)
ALERT = pl.Struct(
    {
        "at": _STR,
        "request": _STR,
        "data": pl.Struct({"alert": _STR, "key": _STR, "release": _STR}),
    }
)

_DECISION_TAGS = (
    EventTag.REQUEST_DECISION_DISCLOSE,
    EventTag.REQUEST_DECISION_PARTIAL,
    EventTag.REQUEST_DECISION_DENY,
    EventTag.REQUEST_DECISION_REVIEW,
)
_STATUS_TAGS = (
    EventTag.REQUEST_STATUS_APPROVE,
    EventTag.REQUEST_STATUS_DENY,
    EventTag.REQUEST_STATUS_WITHDRAW,
    EventTag.REQUEST_STATUS_LAPSE,
)


@dataclass(frozen=True, kw_only=True)
class EventFrames:
    """The decoded entries a report or an alert rule reads, one frame per kind."""

    intake: pl.DataFrame
    decisions: pl.DataFrame
    corrections: pl.DataFrame
    statuses: pl.DataFrame
    accounting: pl.DataFrame
    builds: pl.DataFrame
    downloads: pl.DataFrame
    overdue: pl.DataFrame
    challenges_filed: pl.DataFrame
    challenges_resolved: pl.DataFrame
    alerts: pl.DataFrame
    #: How many entries were read.
    entries: int


def count_file(path: Path, size: int) -> pl.DataFrame:
    """Distinct lines of the first `size` entries of an `entries.jsonl` with `n` and `idx`."""
    lazy = pl.scan_csv(
        path,
        has_header=False,
        separator=_NO_SEPARATOR,
        quote_char=None,
        schema={"line": pl.String},
    )
    return _count(lazy.head(size).with_row_index("idx")).collect(engine="streaming")


def count_chunks(chunks: Iterable[tuple[list[int], list[bytes]]]) -> pl.DataFrame:
    """The same from chunks of (entry indices, entry bodies), e.g. pages of the database."""
    parts = []
    for indices, bodies in chunks:
        if not bodies:
            continue
        frame = pl.DataFrame(
            {
                "line": pl.Series(bodies, dtype=pl.Binary).cast(pl.String),
                "idx": pl.Series(indices, dtype=pl.UInt32),
            }
        )
        parts.append(_count(frame.lazy()).collect())
    if not parts:
        return pl.DataFrame(schema={"line": pl.String, "n": pl.UInt32, "idx": pl.UInt32})
    merged = pl.concat(parts).lazy()
    return merged.group_by("line").agg(pl.col("n").sum(), pl.col("idx").min()).collect()


#: A subject as canonical JSON writes it: a pseudonym holds no quote or backslash, and a
#: string value can never hold this sequence unescaped.
_SUBJECT = r'"subject":"[^"\\]*"'


def _count(lazy: pl.LazyFrame) -> pl.LazyFrame:
    blanked = pl.col("line").str.replace(_SUBJECT, '"subject":""')
    return (
        lazy.with_columns(blanked)
        .group_by("line")
        .agg(pl.len().cast(pl.UInt32).alias("n"), pl.col("idx").min().cast(pl.UInt32))
    )


def decode(lines: pl.DataFrame) -> EventFrames:
    """Split counted lines by tag and decode each kind with only the keys it needs."""
    tagged = lines.with_columns(pl.col("line").str.extract(_TAG, 1).alias("tag"))

    def kind(tags: Iterable[EventTag], dtype: pl.Struct) -> pl.DataFrame:
        values = [t.value for t in tags]
        part = tagged.filter(pl.col("tag").is_in(values))
        return part.select(
            "n",
            "idx",
            "tag",
            pl.col("line").str.contains('"withhold":[1-9]').alias("withholds"),
            pl.col("line").str.json_decode(dtype).alias("e"),
        ).unnest("e")

    return EventFrames(
        intake=kind([EventTag.REQUEST_INTAKE_RECEIVE], INTAKE),
        decisions=kind(_DECISION_TAGS, DECISION),
        corrections=kind([EventTag.REQUEST_CLASSIFICATION_CORRECT], CORRECTION),
        statuses=kind(_STATUS_TAGS, PLAIN),
        accounting=kind([EventTag.RELEASE_ACCOUNTING_ENTRY], ACCOUNTING),
        builds=kind([EventTag.RELEASE_PACKAGE_BUILD], RELEASE),
        downloads=kind([EventTag.RELEASE_DOWNLOAD_RECORD], RELEASE),
        overdue=kind([EventTag.RELEASE_RETENTION_OVERDUE], RELEASE),
        challenges_filed=kind([EventTag.PERSON_CHALLENGE_FILE], CHALLENGE),
        challenges_resolved=kind([EventTag.PERSON_CHALLENGE_RESOLVE], CHALLENGE),
        alerts=kind([EventTag.OVERSIGHT_ALERT_RAISE], ALERT),
        entries=int(lines["n"].sum()) if lines.height else 0,
    )
