"""Which people a legal document's recorded scope reaches: by identifier, never by the records."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from custos.domain.legal import DocumentScope
from custos.domain.subjects import SubjectIdentifier

ANA = SubjectIdentifier(full_name="Ana María López", birth_date=dt.date(1990, 4, 2))


def test_a_scope_naming_nobody_in_particular_reaches_everyone() -> None:
    scope = DocumentScope()
    assert scope.names_person(ANA)
    assert scope.names_person(None)


def test_a_scope_naming_people_reaches_only_them() -> None:
    scope = DocumentScope(people=frozenset({ANA, SubjectIdentifier(case_number="1000000001")}))
    assert scope.names_person(
        SubjectIdentifier(full_name="ANA MARIA  LOPEZ", birth_date=dt.date(1990, 4, 2))
    )
    assert scope.names_person(SubjectIdentifier(case_number=" 1000000001 "))
    assert not scope.names_person(
        SubjectIdentifier(full_name="Ana María López", birth_date=dt.date(1990, 4, 3))
    )
    assert not scope.names_person(SubjectIdentifier(case_number="1000000002"))
    # A bulk subject is named by no identifier: a scope naming people never reaches it.
    assert not scope.names_person(None)


@given(digits=st.from_regex(r"\A\d{9}\Z"), dashed=st.booleans())
def test_an_ssn_is_one_person_however_it_is_written(digits: str, dashed: bool) -> None:
    written = f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if dashed else digits
    scope = DocumentScope(people=frozenset({SubjectIdentifier(ssn=digits)}))
    assert scope.names_person(SubjectIdentifier(ssn=written))
    # The same digits given as a case number are another route: not the same identifier.
    assert not scope.names_person(SubjectIdentifier(case_number=digits))
