"""A person's accounting of disclosures: every disclosure of their data, with proof.

The pattern is the Privacy Act's accounting (5 U.S.C. 552a(c)). *Delayed notice* (45 CFR
164.528(a)(2)) hides an entry only while its written non-disclosure requirement runs, and
the person is told how many are withheld and until when; the date is compared with today
on every read. The document a person downloads is written and verified in
`custos.rights._document`; this service gathers what it shows.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from custos.domain.events import EventTag
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.ledger import prove_person
from custos.rights import (
    Accounting,
    AccountingEntry,
    DisclosureView,
    InclusionProof,
    NoticeKind,
    PersonPrincipal,
    PersonScope,
    ReleaseLifecycle,
    Withheld,
    parse_entry,
    render_html,
    render_pdf,
    split_visible,
    status_from_events,
)
from custos.rights._completeness import Completeness
from custos.store import rights_tables as r
from custos.store import tables as t
from custos.workflow import ledger as ledger_service
from custos.workflow.context import Context
from custos.workflow.rights.challenges import challenge_view
from custos.workflow.rights.disclosures import accounting_rows, own_entries, pending
from custos.workflow.rights.people import page_heading, subject_ref


def _lifecycles(
    s: Session, visible: list[AccountingEntry], complete: Completeness | None
) -> tuple[ReleaseLifecycle, ...]:
    """The proven lifecycle events of every release a visible disclosure names, below the
    map commit that signs the person's completeness proof (none before the first one)."""
    if complete is None:
        return ()
    wanted: dict[str, set[str]] = {}
    for e in visible:
        wanted.setdefault(e.release_id, set()).update([e.request_id] if e.request_id else [])
    return ledger_service.release_lifecycles_in(
        s, wanted, commit=complete.commit_index, tree_size=complete.tree_size
    )


def _proofs(
    s: Session, bodies: dict[int, bytes], visible: list[AccountingEntry]
) -> tuple[str | None, dict[int, InclusionProof]]:
    """Before the first map commit: inclusion proofs of the visible entries against the
    latest checkpoint, read in the caller's session, in one pass over the tiles."""
    last = ledger_service.latest_row(s)
    if last is None:
        return None, {}
    covered = [e.index for e in visible if e.index < last.size]
    proofs = ledger_service.proofs_in(s, covered, last.size) if covered else []
    return ledger_service.with_cosignatures(s, last), _inclusion(
        bodies, last.size, dict(zip(covered, proofs, strict=True))
    )


def _inclusion(
    bodies: dict[int, bytes], size: int, proofs: dict[int, list[bytes]]
) -> dict[int, InclusionProof]:
    return {
        index: InclusionProof(index=index, tree_size=size, entry=bodies[index], inclusion=tuple(p))
        for index, p in proofs.items()
    }


def _build_accounting(ctx: Context, person_id: str) -> Accounting:
    for _ in range(_ATTEMPTS - 1):
        try:
            return _read_accounting(ctx, person_id)
        except ledger_service.MapMovedError:
            continue  # a map commit landed mid-read (PostgreSQL): read it all again
    return _read_accounting(ctx, person_id)


#: Built once: every person's page runs it (issue 18).
_CHALLENGES = (
    select(r.Challenge)
    .where(r.Challenge.person_id == bindparam("pid"))
    .order_by(r.Challenge.filed_at)
)

#: Reads of a person's accounting before a map commit landing mid-read is an error.
_ATTEMPTS = 3


def _read_accounting(ctx: Context, person_id: str) -> Accounting:
    today = ctx.today()
    ref = subject_ref(ctx, person_id)
    # One read-only session for everything the page shows, proofs included; about seven
    # statements whatever the log's size and however many releases it shows (issue 18).
    with ctx.reading() as s:
        heading = page_heading(s, person_id)
        # The map proof before the entries: a later read of the entries sees every one the
        # map's commit covers (see `signed_completeness`).
        found = prove_person(s, ref)
        bodies = dict(accounting_rows(s, ref))
        entries = own_entries(bodies.items(), ref)
        visible, withheld = split_visible(entries, today)
        waiting = pending(ctx, s, person_id)
        challenges = s.scalars(_CHALLENGES, {"pid": person_id}).all()
        challenge_views = tuple(challenge_view(c) for c in challenges)
        signed = ledger_service.signed_completeness(
            s, ref, found, filed=list(bodies.items()), prove=[e.index for e in visible]
        )
        if signed is None:
            checkpoint, proofs = _proofs(s, bodies, visible)
        else:
            checkpoint = signed.note
            proofs = _inclusion(bodies, signed.completeness.tree_size, signed.proofs)
        lifecycles = _lifecycles(s, visible, signed.completeness if signed else None)
    # Each status from the release's proven events alone, as the file's verifier works it out.
    tags = {lc.release_id: lc.tags for lc in lifecycles}
    return Accounting(
        subject_ref=ref,
        name=heading.name,
        generated_at=ctx.now(),
        opted_out=heading.opted_out,
        language=heading.language,
        disclosures=tuple(
            DisclosureView(
                entry=e,
                status=status_from_events(
                    tags.get(e.release_id, ()), e.retention_until, today
                ).value,
                proof=proofs.get(e.index),
            )
            for e in visible
        ),
        withheld=tuple(withheld),
        pending=tuple(waiting),
        challenges=challenge_views,
        checkpoint=checkpoint,
        completeness=signed.completeness if signed else None,
        releases=lifecycles,
    )


def accounting(ctx: Context, *, principal: PersonPrincipal) -> Accounting:
    """The signed-in person's own accounting of disclosures."""
    principal.require(PersonScope.VIEW)
    return _build_accounting(ctx, principal.person_id)


def accounting_for_staff(ctx: Context, *, actor: StaffPrincipal, person_id: str) -> Accounting:
    """Staff print a person's accounting for them (at a counter, by mail). The same view the
    person gets: entries under a running non-disclosure requirement stay withheld."""
    require(actor, Action.PERSON_ACCOUNTING)
    return _build_accounting(ctx, person_id)


def accounting_letter(ctx: Context, acc: Accounting, *, pdf: bool = False) -> str | bytes:
    """The accounting as a printable letter (HTML with print CSS, or PDF), fields named by the
    active pack's catalogue. With a completeness proof it says, as the page and the
    file do, that these are all the person's disclosures up to the map's commit."""
    c = acc.completeness
    below = sum(1 for d in acc.disclosures if c is not None and d.entry.index < c.commit_index)
    data = {
        "name": acc.name,
        "today": acc.generated_at.date().isoformat(),
        "since": None,
        "withheld": [{"count": w.count, "until": w.until.isoformat()} for w in acc.withheld],
        "complete": None
        if c is None
        else {
            "count": c.count,
            "up_to": c.recorded_until.date().isoformat(),
            "at": c.recorded_until.strftime("%H:%M UTC"),
            "hidden": c.count - below,
        },
        "disclosures": [
            {
                "date": d.entry.disclosed_at.date().isoformat(),
                "requester_name": d.entry.requester_name,
                "fields": d.entry.fields,
                "legal_process": d.entry.legal_process,
                "purpose": d.entry.purpose,
                "compelled": d.entry.compelled,
                "citations": d.entry.citations,
                "retention_until": d.entry.retention_until.isoformat()
                if d.entry.retention_until
                else None,
                "status": d.status,
            }
            for d in acc.disclosures
        ],
        "pending": [
            {
                "requester_name": p.requester_name,
                "fields": p.fields,
                "challenge_by": p.challenge_by.isoformat(),
                "status": p.status,
            }
            for p in acc.pending
        ],
    }
    catalogue = ctx.active_pack().catalogue
    if pdf:
        return render_pdf(NoticeKind.ACCOUNTING, acc.language, data, catalogue=catalogue)
    return render_html(NoticeKind.ACCOUNTING, acc.language, data, catalogue=catalogue)


def withheld_summary(ctx: Context) -> list[Withheld]:
    """Counts of entries withheld today under delayed notice, by end date, across everyone:
    for the public transparency report (no person is named)."""
    today = ctx.today()
    with ctx.reading() as s:
        rows = s.execute(
            select(t.LedgerEntry.idx, t.LedgerEntry.body).where(
                t.LedgerEntry.tag == EventTag.RELEASE_ACCOUNTING_ENTRY.value
            )
        ).all()
    _, withheld = split_visible([parse_entry(i, bytes(b)) for i, b in rows], today)
    return withheld
