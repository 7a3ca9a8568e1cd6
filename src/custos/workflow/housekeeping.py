"""Upkeep that must happen on time without anyone remembering it, run while serving.

Each round: the letters due to people are queued (disclosures made, requests noticed before
release — a late letter would eat into a person's time to challenge), releases past their
retention deadline without a destruction attestation are marked overdue (with an oversight
alert), internal ciphertext past its grace period is purged, and the alert rules run over the
log. Each of these jobs is the same service staff can start by hand (`custos notice sweep`,
`custos release retention --sweep`, `custos release purge`, `custos alerts check`), so a
round changes nothing those commands would not, and logs every change in the ledger. Last,
requester portal sessions that ended unused are deleted (no ledger entry: a session is not
an event, and its sign-in was not logged either).
A job that fails is logged and retried next round; it never stops the others. When several
processes serve one database, only the leader (`custos.workflow.leader`) runs rounds; on
PostgreSQL a round also takes a lock of its own, so a second round started while one is
under way (a leader taking over mid-round, say) skips itself.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import text

from custos.domain.principals import SYSTEM_ACTOR as ACTOR
from custos.workflow import oversight, portal_sessions, releases, rights
from custos.workflow.context import Context

_log = logging.getLogger("custos.housekeeping")

#: Arbitrary constant naming the housekeeping lock on PostgreSQL ("custosh").
_PG_LOCK_KEY = 0x637573746F7368


@dataclass(kw_only=True)
class Round:
    """What one round did."""

    notices: int = 0
    overdue: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    alerts: int = 0
    #: Portal sessions that ended unused and were deleted.
    sessions: int = 0
    #: Jobs that failed this round (their error is in the log).
    failed: list[str] = field(default_factory=list)
    #: Another process was running a round, so this one did nothing.
    skipped: bool = False


@contextlib.contextmanager
def _one_at_a_time(ctx: Context) -> Iterator[bool]:
    """Whether this process may run a round now: on PostgreSQL, whether it got the session
    advisory lock (held on its own connection for the round); elsewhere always."""
    if ctx.engine.dialect.name != "postgresql":
        yield True
        return
    with ctx.engine.connect() as connection:
        got = bool(
            connection.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_LOCK_KEY}
            ).scalar()
        )
        connection.commit()
        try:
            yield got
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                connection.commit()


def run_once(ctx: Context) -> Round:
    with _one_at_a_time(ctx) as mine:
        return _round(ctx) if mine else Round(skipped=True)


def _round(ctx: Context) -> Round:
    done = Round()
    try:
        done.notices = rights.sweep_notices(ctx)
    except Exception:  # noqa: BLE001 - one job failing must not stop the others
        _log.exception("queueing the letters due failed")
        done.failed.append("notices")
    try:
        done.overdue = releases.sweep_retention(ctx, actor=ACTOR)
    except Exception:  # noqa: BLE001 - one job failing must not stop the others
        _log.exception("marking overdue releases failed")
        done.failed.append("retention")
    try:
        done.purged = releases.purge(ctx, actor=ACTOR).purged
    except Exception:  # noqa: BLE001
        _log.exception("purging delivered ciphertext failed")
        done.failed.append("purge")
    try:
        done.alerts = len(oversight.check_alerts(ctx, actor=ACTOR))
    except Exception:  # noqa: BLE001
        _log.exception("checking the alert rules failed")
        done.failed.append("alerts")
    try:
        done.sessions = portal_sessions.purge_ended(ctx)
    except Exception:  # noqa: BLE001
        _log.exception("deleting ended portal sessions failed")
        done.failed.append("sessions")
    if done.notices or done.overdue or done.purged or done.alerts:
        _log.info(
            "housekeeping: %d letter(s) queued, %d release(s) overdue, %d purged, %d alert(s)",
            done.notices,
            len(done.overdue),
            len(done.purged),
            done.alerts,
        )
    return done


def run_forever(ctx: Context, stop: threading.Event) -> None:
    """A round every `housekeeping_interval_seconds` until `stop` is set (the app runs this
    in a background thread while serving)."""
    while not stop.is_set():
        try:
            run_once(ctx)
        except Exception:  # noqa: BLE001 - the database away for a while must not end the loop
            _log.exception("a housekeeping round failed; retrying next interval")
        stop.wait(ctx.settings.housekeeping_interval_seconds)
