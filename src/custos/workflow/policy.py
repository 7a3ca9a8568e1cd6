"""Policy services over stored requests: explain, replay, activate, and the public page.

The pure work lives in `custos.policy`; these functions load what it needs from the store,
check the caller's role, and write the activation event in the same transaction as its row.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from custos import policy, records
from custos.domain.decisions import Effect, FieldDecision, Notify, Obligations
from custos.domain.disclosure import Purpose
from custos.domain.errors import NotFoundError, PolicyError
from custos.domain.events import Event, EventTag
from custos.domain.legal import LegalProcessKind
from custos.domain.permissions import Action, require
from custos.domain.principals import RequesterPrincipal, Scope, StaffPrincipal
from custos.domain.programs import FieldRef
from custos.domain.subjects import NO_MATCH_KEY, OUTSIDE_SCOPE_KEY, SubjectFacts
from custos.store import tables as t
from custos.workflow import accounts, journal
from custos.workflow.context import Context
from custos.workflow.requests.decision import stored_context
from custos.workflow.requests.state import load

#: Named requests list each subject; larger ones are explained per class of equal facts.
_MAX_LISTED = 50


def _field_decision(row: t.DecisionRow) -> FieldDecision:
    o = row.obligations or {}
    return FieldDecision(
        field=FieldRef.parse(row.field),
        effect=Effect(row.effect),
        rule_ids=tuple(row.rule_ids),
        citations=tuple(row.citations),
        obligations=Obligations(
            notify=Notify(o.get("notify", Notify.NONE.value)),
            notice_delay_requires_statement=bool(o.get("notice_delay_requires_statement")),
            retention_days=o.get("retention_days"),
            no_onward_sharing=bool(o.get("no_onward_sharing", True)),
            generalize_to=o.get("generalize_to"),
            challenge_window_days=o.get("challenge_window_days"),
        ),
        compelled=row.compelled,
        needs_review=row.needs_review,
        reasons=tuple(row.reasons),
    )


def explain_request(ctx: Context, *, actor: StaffPrincipal, request_id: str) -> policy.Explanation:
    """Explain a decided request per person (or per class of equal facts) and field."""
    require(actor, Action.POLICY_READ)
    with ctx.reading() as session:
        row = load(session, request_id)
        if row.pack_name is None:
            raise NotFoundError("this request has not been decided yet")
        pack = ctx.pack(row.pack_name)
        if row.pack_hash != pack.content_hash:
            raise PolicyError(
                "the pack that decided this request has changed since; its stored reasons stand, "
                "but an explanation needs the same pack version"
            )
        context = stored_context(ctx, session, row)
        decisions: dict[str, list[FieldDecision]] = defaultdict(list)
        for d in session.scalars(
            select(t.DecisionRow)
            .where(t.DecisionRow.request_id == row.id)
            .order_by(t.DecisionRow.id)
        ):
            decisions[d.class_key].append(_field_decision(d))
        subjects = session.execute(
            select(t.RequestSubject.subject_ref, t.RequestSubject.class_key)
            .where(t.RequestSubject.request_id == row.id)
            .order_by(t.RequestSubject.position)
        ).all()
    order = {f: i for i, f in enumerate(context.fields)}
    rows = {
        k: sorted(v, key=lambda d: order.get(d.field, len(order))) for k, v in decisions.items()
    }
    if len(subjects) <= _MAX_LISTED:
        labelled = [(ref, rows.get(key, [])) for ref, key in subjects]
    else:
        sizes = Counter(key for _, key in subjects)
        labelled = [
            (f"{sizes[key]} people with the same facts (class {key})", rows[key]) for key in rows
        ]
    return policy.explain(pack, context, labelled)


def _class_subject(key: str, facts: SubjectFacts | None) -> policy.Subject:
    """What a stored decision class stands for when it is decided again."""
    if key == OUTSIDE_SCOPE_KEY:
        return policy.OUTSIDE_SCOPE
    return None if key == NO_MATCH_KEY else facts


def replay_since(
    ctx: Context, *, actor: StaffPrincipal, pack_name: str, since: dt.date
) -> policy.ReplayReport:
    """Re-decide every request decided since `since` under another pack and count changes."""
    require(actor, Action.POLICY_READ)
    pack = ctx.pack(pack_name)
    start = dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC)
    items: list[policy.ReplayItem] = []
    with ctx.reading() as session:
        rows = session.scalars(
            select(t.Request)
            .where(t.Request.submitted_at >= start, t.Request.pack_hash.is_not(None))
            .order_by(t.Request.submitted_at, t.Request.id)
        ).all()
        for row in rows:
            stored: dict[str, dict[FieldRef, Effect]] = defaultdict(dict)
            for d in session.scalars(
                select(t.DecisionRow).where(t.DecisionRow.request_id == row.id)
            ):
                stored[d.class_key][FieldRef.parse(d.field)] = Effect(d.effect)
            if not stored:
                continue  # preservation requests decide no field
            members = session.execute(
                select(t.RequestSubject.person_id, t.RequestSubject.class_key).where(
                    t.RequestSubject.request_id == row.id
                )
            ).all()
            facts = records.facts_for(
                session, [p for p, _ in members if p is not None], on=row.submitted_at.date()
            )
            by_class: dict[str, policy.Subject] = {}
            sizes: Counter[str] = Counter()
            for person_id, key in members:
                sizes[key] += 1
                if key not in by_class:
                    by_class[key] = _class_subject(key, facts.get(person_id or ""))
            classes = tuple(
                policy.ReplayClass(facts=by_class[key], people=sizes[key], stored=stored[key])
                for key in sorted(by_class)
                if key in stored
            )
            items.append(
                policy.ReplayItem(
                    request_id=row.id, context=stored_context(ctx, session, row), classes=classes
                )
            )
    return policy.replay(pack, items)


def activate_pack(ctx: Context, *, actor: StaffPrincipal, name: str) -> dict[str, Any]:
    """Record that a pack version is in force: a row and a ledger event, in one transaction.

    The pack must pass `policy check` first; a broken or failing pack is never activated.
    """
    require(actor, Action.POLICY_ACTIVATE)
    report = policy.check(ctx.settings.policies_dir / name)
    if not report.passed:
        raise PolicyError(
            f"pack {name!r} fails policy check: " + "; ".join(f.message for f in report.errors[:5])
        )
    pack = ctx.pack(name)
    now = ctx.now()
    with ctx.transaction() as session:
        session.add(
            t.PackActivation(
                name=pack.name,
                version=pack.version,
                content_hash=pack.content_hash,
                activated_by=actor.actor,
                activated_at=now,
            )
        )
        # One timestamp for the row and its entry: the activation is one instant.
        journal.record_all(
            session,
            [
                Event(
                    tag=EventTag.POLICY_PACK_ACTIVATE,
                    at=now,
                    actor=actor.actor,
                    data={
                        "pack": pack.name,
                        "version": pack.version,
                        "pack_hash": pack.content_hash,
                        "warnings": [f.code for f in report.warnings],
                    },
                )
            ],
        )
    return {"name": pack.name, "version": pack.version, "content_hash": pack.content_hash}


def active_pack(ctx: Context) -> policy.Pack:
    """The pack in force (see `Context.active_pack`)."""
    return ctx.active_pack()


def public_policy(ctx: Context, *, lang: str, fmt: str | None = None) -> Any:
    """The public page of the pack in force: a dict (fmt None), or html / markdown text."""
    if lang not in policy.LANGS:
        raise NotFoundError("no page in that language")
    pack = active_pack(ctx)
    if fmt is None:
        return policy.public_model(pack, lang)
    return policy.public_page(pack, lang, fmt)


@dataclass(frozen=True, kw_only=True)
class PackSummary:
    """The pack in force and the result of `policy check` on it (with its test cases)."""

    name: str
    version: str
    content_hash: str
    report: policy.CheckReport


def pack_names(ctx: Context) -> list[str]:
    """The packs under the policies directory (each a folder with a pack file)."""
    root = ctx.settings.policies_dir
    return sorted(p.name for p in root.iterdir() if (p / "pack.toml").is_file())


#: `policy check` and `policy diff` results by pack content hashes: a pack's folder does not
#: change under a running server, and both take seconds.
_CHECKS: dict[tuple[str, str], policy.CheckReport] = {}
_DIFFS: dict[tuple[str, str], policy.DiffReport] = {}


def pack_summary(ctx: Context, *, actor: StaffPrincipal) -> PackSummary:
    """The active pack with its check and test results (read-only)."""
    require(actor, Action.POLICY_READ)
    pack = active_pack(ctx)
    key = (pack.name, pack.content_hash)
    if key not in _CHECKS:
        _CHECKS[key] = policy.check(ctx.settings.policies_dir / pack.name)
    return PackSummary(
        name=pack.name,
        version=pack.version,
        content_hash=pack.content_hash,
        report=_CHECKS[key],
    )


def diff_with(ctx: Context, *, actor: StaffPrincipal, other: str) -> policy.DiffReport:
    """How the active pack and another decide the same scenarios (read-only)."""
    require(actor, Action.POLICY_READ)
    if other not in pack_names(ctx):
        raise NotFoundError("no such policy pack")
    a, b = active_pack(ctx), ctx.pack(other)
    key = (a.content_hash, b.content_hash)
    if key not in _DIFFS:
        _DIFFS[key] = policy.diff(a, b)
    return _DIFFS[key]


#: `purpose_hint` per (pack content, requester kind, programs, purpose): deciding what a
#: purpose could be given takes a second, and the same pack gives the same answer in every
#: context of the process.
_Hint = Mapping[FieldRef, frozenset[LegalProcessKind]]
_HINTS: dict[tuple[str, str, tuple[str, ...], str], _Hint] = {}
_HINTS_KEPT = 256


def purpose_hint(ctx: Context, *, actor: RequesterPrincipal, purpose: Purpose) -> _Hint:
    """For the requester's new-request form: the fields the pack in force could permit this
    requester (its kind and programs) for `purpose`, with the legal processes that could."""
    actor.require(Scope.REQUESTS_WRITE)
    pack = active_pack(ctx)
    requester = accounts.requester_view(ctx, actor.id)
    programs = frozenset(requester.programs)
    key = (
        pack.content_hash,
        requester.kind.value,
        tuple(sorted(p.value for p in programs)),
        purpose.value,
    )
    if key not in _HINTS:
        if len(_HINTS) >= _HINTS_KEPT:
            _HINTS.clear()
        hints = policy.permitted_fields(
            pack, requester_kind=requester.kind, requester_programs=programs, purposes=(purpose,)
        )
        _HINTS[key] = hints[purpose]
    return _HINTS[key]
