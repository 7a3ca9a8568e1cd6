"""A person's choices: opting out of discretionary sharing, and the language of letters."""

from __future__ import annotations

from custos.domain.events import EventTag
from custos.rights import NoticeKind, PersonPrincipal, PersonScope, check_language
from custos.workflow import requests
from custos.workflow._ids import new_id
from custos.workflow.context import Context
from custos.workflow.journal import record
from custos.workflow.rights.notices import queue_notice
from custos.workflow.rights.people import load_person, store_language


def set_opt_out(ctx: Context, *, principal: PersonPrincipal, opted_out: bool) -> bool:
    """Opt out of discretionary sharing (or back in), effective at once: policy reads the
    flag through `records.facts_for`, and every request about the person not yet released is
    decided again in the same transaction (approvals of the old decision stop counting).
    Compelled disclosures remain possible and are labelled so in the accounting. Returns
    whether anything changed."""
    principal.require(PersonScope.OPT_OUT)
    pack = ctx.active_pack()
    with ctx.transaction() as s:
        person = load_person(s, principal.person_id, lock=True)
        if person.opted_out == opted_out:
            return False
        person.opted_out = opted_out
        record(
            ctx,
            s,
            EventTag.PERSON_OPTOUT_SET if opted_out else EventTag.PERSON_OPTOUT_CLEAR,
            principal.actor,
            subject_ref=principal.subject_ref,
        )
        s.flush()
        requests.redecide_for_person(
            ctx,
            s,
            person_id=person.id,
            actor=principal.actor,
            reason="opt-out" if opted_out else "opt-in",
            pack=pack,
        )
        now = ctx.now()
        queue_notice(
            ctx,
            s,
            person,
            NoticeKind.OPT_OUT_CONFIRMATION,
            source_key=f"optout:{person.id}:{new_id('opt')}",
            data={"opted_out": opted_out, "effective_on": now.date().isoformat()},
        )
        return True


def set_language(ctx: Context, *, principal: PersonPrincipal, language: str) -> None:
    """The language of the person's future letters (English or Spanish)."""
    principal.require(PersonScope.VIEW)
    check_language(language)
    with ctx.transaction() as s:
        store_language(s, principal.person_id, language)
