"""Identifiers and normalization: strict, exact, and one route per person."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.domain.subjects import SubjectFacts, SubjectIdentifier, normalize_name, normalize_ssn


@given(st.text(max_size=60))
def test_normalizing_a_name_is_idempotent(name: str) -> None:
    once = normalize_name(name)
    assert normalize_name(once) == once


@given(st.text(max_size=60))
def test_normalized_names_have_no_case_accents_or_runs_of_spaces(name: str) -> None:
    out = normalize_name(name)
    assert out == out.casefold()
    assert "  " not in out
    assert out == out.strip()


def test_spelling_variants_that_are_the_same_name_normalize_alike() -> None:
    assert normalize_name("José  O'Brien-Smith") == normalize_name("jose obrien smith")
    assert normalize_name("María Ramírez") == normalize_name("MARIA RAMIREZ")
    # but nothing fuzzy: a different name stays different
    assert normalize_name("Maria Ramirez") != normalize_name("Mario Ramirez")


@pytest.mark.parametrize("ssn", ["999-01-0001", "999010001", " 999010001 "])
def test_ssn_shapes_accepted(ssn: str) -> None:
    assert normalize_ssn(ssn) == "999010001"


@given(st.text(max_size=15).filter(lambda s: not s.strip().replace("-", "").isdigit()))
def test_anything_else_is_not_an_ssn(text: str) -> None:
    with pytest.raises(ValueError, match="nine digits"):
        normalize_ssn(text)


def test_exactly_one_route() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        SubjectIdentifier()
    with pytest.raises(ValueError, match="exactly one"):
        SubjectIdentifier(case_number="1", ssn="999010001")
    with pytest.raises(ValueError, match="birth date"):
        SubjectIdentifier(full_name="Ana Ruiz")
    ok = SubjectIdentifier(full_name="Ana Ruiz", birth_date=dt.date(1990, 1, 2))
    assert ok.route == "name_birth_date"


@given(
    st.frozensets(st.sampled_from(["snap", "tanf", "medicaid", "housing"])),
    st.booleans(),
    st.booleans(),
)
def test_equal_facts_share_a_key_and_different_facts_do_not(
    programs: frozenset[str], determination: bool, opted_out: bool
) -> None:
    a = SubjectFacts(programs=programs, determination_on_file=determination, opted_out=opted_out)
    b = SubjectFacts(
        programs=frozenset(programs), determination_on_file=determination, opted_out=opted_out
    )
    assert a.key() == b.key()
    c = SubjectFacts(
        programs=programs, determination_on_file=not determination, opted_out=opted_out
    )
    assert a.key() != c.key()
