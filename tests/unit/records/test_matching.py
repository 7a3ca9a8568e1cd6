"""Subject matching: exact and strict; no match and ambiguity look the same from outside."""

from __future__ import annotations

import datetime as dt

import pytest

from custos.domain.disclosure import BulkCriterion
from custos.domain.errors import InvalidInputError
from custos.domain.programs import Program
from custos.domain.subjects import SubjectIdentifier
from custos.records import (
    DEMO_PEOPLE,
    demo_records,
    facts_for,
    load,
    match,
    select_bulk,
    select_bulk_chunks,
)
from custos.store.tables import Enrolment
from custos.workflow.context import Context

TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def demo_ctx(sqlite_ctx: Context) -> Context:
    with sqlite_ctx.transaction() as session:
        load(session, demo_records())
    return sqlite_ctx


def _match(ctx: Context, **identifier: object) -> str | None:
    with ctx.reading() as session:
        return match(session, SubjectIdentifier(**identifier))  # type: ignore[arg-type]


@pytest.mark.parametrize("key", sorted(set(DEMO_PEOPLE) - {"twin_name_a", "twin_name_b"}))
def test_each_demo_person_matches_by_every_route(demo_ctx: Context, key: str) -> None:
    person = DEMO_PEOPLE[key]
    assert _match(demo_ctx, case_number=person.dcn) == person.person_id
    if person.ssn is not None:
        assert _match(demo_ctx, ssn=person.ssn) == person.person_id
    assert (
        _match(demo_ctx, full_name=person.full_name, birth_date=person.birth_date)
        == person.person_id
    )


def test_ssn_with_dashes_and_name_without_accents_or_case_match(demo_ctx: Context) -> None:
    person = DEMO_PEOPLE["snap_noncitizen"]
    assert _match(demo_ctx, ssn="999-01-0001") == person.person_id
    assert (
        _match(
            demo_ctx, full_name="  MARIA guadalupe  RAMIREZ ortega", birth_date=person.birth_date
        )
        == person.person_id
    )
    assert _match(demo_ctx, case_number=f" {person.dcn} ") == person.person_id


def test_same_name_and_birth_date_is_ambiguous_and_matches_nobody(demo_ctx: Context) -> None:
    twin = DEMO_PEOPLE["twin_name_a"]
    assert _match(demo_ctx, full_name=twin.full_name, birth_date=twin.birth_date) is None
    # Each twin is still reachable by an identifier that is unique.
    assert _match(demo_ctx, case_number=twin.dcn) == twin.person_id


@pytest.mark.parametrize(
    "identifier",
    [
        {"case_number": "900000000"},  # a prefix of real DCNs
        {"case_number": "90000000011"},
        {"ssn": "999-01-0000"},
        {"full_name": "Emmaline", "birth_date": dt.date(1979, 5, 30)},  # first name only
        {"full_name": "Emmaline Schacht", "birth_date": dt.date(1979, 5, 31)},  # a day off
        {"full_name": "Emmalin Schacht", "birth_date": dt.date(1979, 5, 30)},  # a typo
    ],
)
def test_near_misses_match_nobody(demo_ctx: Context, identifier: dict[str, object]) -> None:
    assert _match(demo_ctx, **identifier) is None


def test_household_case_number_is_not_a_person_identifier(demo_ctx: Context) -> None:
    assert _match(demo_ctx, case_number=DEMO_PEOPLE["medicaid"].case_number) is None


def test_facts_report_active_programs_and_flags(demo_ctx: Context) -> None:
    tanf = DEMO_PEOPLE["tanf_determination"]
    head = DEMO_PEOPLE["household_head"]
    opted = DEMO_PEOPLE["opted_out"]
    with demo_ctx.reading() as session:
        facts = facts_for(
            session, [tanf.person_id, head.person_id, opted.person_id, "nobody"], on=TODAY
        )
    assert set(facts) == {tanf.person_id, head.person_id, opted.person_id}
    assert facts[tanf.person_id].programs == frozenset({"tanf"})
    assert facts[tanf.person_id].determination_on_file
    assert facts[head.person_id].programs == frozenset({"snap", "housing"})
    assert not facts[head.person_id].opted_out
    assert facts[opted.person_id].opted_out


def test_ended_and_future_enrolments_are_not_active(demo_ctx: Context) -> None:
    person = DEMO_PEOPLE["medicaid"]
    with demo_ctx.transaction() as session:
        session.add(
            Enrolment(
                person_id=person.person_id,
                program="snap",
                monthly_amount_cents=100,
                start_date=dt.date(2020, 1, 1),
                end_date=dt.date(2021, 1, 1),
            )
        )
        session.add(
            Enrolment(
                person_id=person.person_id,
                program="tanf",
                monthly_amount_cents=100,
                start_date=TODAY + dt.timedelta(days=30),
                end_date=None,
            )
        )
    with demo_ctx.reading() as session:
        facts = facts_for(session, [person.person_id], on=TODAY)
    assert facts[person.person_id].programs == frozenset({"medicaid"})


def test_bulk_selects_enrolled_people_in_the_named_counties(demo_ctx: Context) -> None:
    with demo_ctx.reading() as session:
        greene_snap = list(
            select_bulk(
                session,
                BulkCriterion(programs=frozenset({Program.SNAP}), counties=frozenset({"Greene"})),
                on=TODAY,
            )
        )
        statewide_tanf = list(
            select_bulk(session, BulkCriterion(programs=frozenset({Program.TANF})), on=TODAY)
        )
        st_charles = list(
            select_bulk(
                session,
                BulkCriterion(
                    programs=frozenset({Program.MEDICAID, Program.HOUSING}),
                    counties=frozenset({"saint charles county"}),
                ),
                on=TODAY,
            )
        )
    assert greene_snap == [DEMO_PEOPLE["twin_name_a"].person_id]
    assert statewide_tanf == [DEMO_PEOPLE["tanf_determination"].person_id]
    assert st_charles == sorted(
        DEMO_PEOPLE[k].person_id
        for k in ("household_head", "household_spouse", "household_child", "household_child_no_ssn")
    )


def test_bulk_chunks_cover_everyone_once(demo_ctx: Context) -> None:
    criterion = BulkCriterion(programs=frozenset(Program))
    with demo_ctx.reading() as session:
        chunks = list(select_bulk_chunks(session, criterion, on=TODAY, chunk_size=3))
    flat = [pid for chunk in chunks for pid in chunk]
    assert all(len(c) <= 3 for c in chunks)
    assert flat == sorted({p.person_id for p in DEMO_PEOPLE.values()})


def test_unknown_county_fails_closed_instead_of_going_statewide(demo_ctx: Context) -> None:
    criterion = BulkCriterion(programs=frozenset({Program.SNAP}), counties=frozenset({"St. Louis"}))
    with demo_ctx.reading() as session, pytest.raises(InvalidInputError, match="county"):
        list(select_bulk(session, criterion, on=TODAY))
