"""A person's accounting of disclosures: every disclosure of their data, with proof.

The pattern is the Privacy Act's accounting (5 U.S.C. 552a(c)). *Delayed notice* (45 CFR
164.528(a)(2)) hides an entry only while its written non-disclosure requirement runs, and
the person is told how many are withheld and until when; the date is compared with today
on every read. The document a person downloads is written and verified in
`custos.rights._document`; this service gathers what it shows.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.domain.events import EventTag
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
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
from custos.workflow.rights.people import language_of, load_person, subject_ref


def _lifecycles(
    s: Session, visible: list[AccountingEntry], complete: tuple[str, Completeness] | None
) -> tuple[ReleaseLifecycle, ...]:
    """The proven lifecycle events of every release a visible disclosure names, below the
    map commit that signs the person's completeness proof (none before the first one)."""
    if complete is None:
        return ()
    wanted: dict[str, set[str]] = {}
    for e in visible:
        wanted.setdefault(e.release_id, set()).update([e.request_id] if e.request_id else [])
    c = complete[1]
    return ledger_service.release_lifecycles_in(
        s, wanted, commit=c.commit_index, tree_size=c.tree_size
    )


def _proofs(
    s: Session,
    bodies: dict[int, bytes],
    visible: list[AccountingEntry],
    at: tuple[str, int] | None,
) -> tuple[str | None, dict[int, InclusionProof]]:
    """Inclusion proofs of the visible entries against `at` (note, size): the checkpoint that
    signs the person's completeness proof; before the first map commit, the latest one. All
    read in the caller's session, the proofs in one pass over the tiles."""
    if at is None:
        last = ledger_service.latest_row(s)
        if last is None:
            return None, {}
        at = ledger_service.with_cosignatures(s, last), last.size
    note, size = at
    covered = [e.index for e in visible if e.index < size]
    proofs = ledger_service.proofs_in(s, covered, size) if covered else []
    return note, {
        index: InclusionProof(
            index=index, tree_size=size, entry=bodies[index], inclusion=tuple(proof)
        )
        for index, proof in zip(covered, proofs, strict=True)
    }


def _build_accounting(ctx: Context, person_id: str) -> Accounting:
    for _ in range(_ATTEMPTS - 1):
        try:
            return _read_accounting(ctx, person_id)
        except ledger_service.MapMovedError:
            continue  # a map commit landed mid-read (PostgreSQL): read it all again
    return _read_accounting(ctx, person_id)


#: Reads of a person's accounting before a map commit landing mid-read is an error.
_ATTEMPTS = 3


def _read_accounting(ctx: Context, person_id: str) -> Accounting:
    today = ctx.today()
    ref = subject_ref(ctx, person_id)
    # One read-only session for everything the page shows, proofs included.
    with ctx.reading() as s:
        person = load_person(s, person_id)
        bodies = dict(accounting_rows(s, ref))
        entries = own_entries(bodies.items(), ref)
        visible, withheld = split_visible(entries, today)
        waiting = pending(ctx, s, person_id)
        challenges = s.scalars(
            select(r.Challenge)
            .where(r.Challenge.person_id == person_id)
            .order_by(r.Challenge.filed_at)
        ).all()
        name = f"{person.first_name} {person.last_name}"
        opted_out = person.opted_out
        language = language_of(s, person_id)
        challenge_views = tuple(challenge_view(c) for c in challenges)
        complete = ledger_service.completeness_in(s, ref)
        lifecycles = _lifecycles(s, visible, complete)
        at = (complete[0], complete[1].tree_size) if complete else None
        checkpoint, proofs = _proofs(s, bodies, visible, at)
    # Each status from the release's proven events alone, as the file's verifier works it out.
    tags = {lc.release_id: lc.tags for lc in lifecycles}
    return Accounting(
        subject_ref=ref,
        name=name,
        generated_at=ctx.now(),
        opted_out=opted_out,
        language=language,
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
        completeness=complete[1] if complete else None,
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
