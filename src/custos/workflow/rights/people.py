"""The person as the rights services read them: their record, pseudonym and language.

Shared by every rights service. `find_person` is how staff acting on a person's behalf
(at a counter, by phone) find them by case number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from custos.domain.errors import NotFoundError
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.domain.pseudonyms import pseudonym
from custos.rights import normalize_case_number
from custos.store import rights_tables as r
from custos.store import tables as t
from custos.store.core import Prepared
from custos.workflow.context import Context


def subject_ref(ctx: Context, person_id: str) -> str:
    """The person's keyed pseudonym: how the ledger names them."""
    return pseudonym(ctx.settings.pseudonym_key, person_id)


def load_person(s: Session, person_id: str, *, lock: bool = False) -> t.Person:
    """The person's record (locked for update when `lock`); NotFoundError if there is none."""
    q = select(t.Person).where(t.Person.id == person_id)
    if lock:
        q = q.with_for_update()
    row = s.scalar(q)
    if row is None:
        raise NotFoundError("no such person")
    return row


def language_of(s: Session, person_id: str) -> str:
    """The language of the person's letters (English unless they chose another)."""
    pref = s.get(r.PersonPreference, person_id)
    return pref.language if pref is not None else "en"


class PageHeading(NamedTuple):
    """What a person's page shows about the person themselves."""

    name: str
    opted_out: bool
    language: str


#: Built once and run on the driver's cursor: every person's page runs it (issue 18).
_HEADING = Prepared(
    select(t.Person.first_name, t.Person.last_name, t.Person.opted_out, r.PersonPreference.language)
    .outerjoin(r.PersonPreference, r.PersonPreference.person_id == t.Person.id)
    .where(t.Person.id == bindparam("pid"))
)


def page_heading(s: Session, person_id: str) -> PageHeading:
    """The person's name, opt-out and letter language in one statement (NotFoundError if
    there is no such person): the columns the page shows, not the whole record."""
    row = _HEADING.first(s, {"pid": person_id})
    if row is None:
        raise NotFoundError("no such person")
    first, last, opted_out, language = row
    return PageHeading(name=f"{first} {last}", opted_out=opted_out, language=language or "en")


def store_language(s: Session, person_id: str, language: str) -> None:
    """Record the language of the person's letters (checked by the caller)."""
    pref = s.get(r.PersonPreference, person_id)
    if pref is None:
        s.add(r.PersonPreference(person_id=person_id, language=language))
    else:
        pref.language = language


def letterhead(ctx: Context) -> dict[str, Any]:
    """The agency's part of every letter, from settings: its name, postal address, phone, and
    the portal's address (where the person signs in with what the letter says)."""
    settings = ctx.settings
    return {
        "agency": settings.agency_name,
        "agency_address": [line.strip() for line in settings.agency_address.split(",")],
        "agency_phone": settings.agency_phone,
        "portal": settings.public_url.rstrip("/"),
    }


def letter_data(s: Session, person: t.Person, ctx: Context) -> dict[str, Any]:
    """What every letter to the person shows: the letterhead, their name, postal address and
    case number (the household's: with their date of birth it is how they sign in), today."""
    household = s.get(t.Household, person.household_id)
    address = (
        f"{household.street}\n{household.city}, MO {household.zip}" if household is not None else ""
    )
    return {
        **letterhead(ctx),
        "name": f"{person.first_name} {person.last_name}",
        "address": address,
        "case_number": household.case_number if household is not None else person.dcn,
        "today": ctx.today().isoformat(),
    }


def candidates(s: Session, case_number: str, birth_date: dt.date) -> list[str]:
    """People with this case number (their own or their household's) and birth date."""
    return list(
        s.scalars(
            select(t.Person.id)
            .join(t.Household, t.Household.id == t.Person.household_id)
            .where(
                t.Person.birth_date == birth_date,
                or_(t.Person.dcn == case_number, t.Household.case_number == case_number),
            )
        )
    )


def find_person(ctx: Context, *, actor: StaffPrincipal, case_number: str) -> list[str]:
    """Person ids with this DCN or household case number (staff acting on a person's behalf)."""
    require(actor, Action.PERSON_FIND)
    cn = normalize_case_number(case_number)
    with ctx.reading() as s:
        return list(
            s.scalars(
                select(t.Person.id)
                .join(t.Household, t.Household.id == t.Person.household_id)
                .where(or_(t.Person.dcn == cn, t.Household.case_number == cn))
                .order_by(t.Person.id)
            )
        )
