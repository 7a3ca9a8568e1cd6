"""Fields, codes and dates as people read them, in the portal and in letters alike."""

from __future__ import annotations

import datetime as dt

from custos.domain.programs import FieldRef, FieldSpec, Sensitivity
from custos.domain.words import code_word, day_words, field_namer

CATALOGUE = {
    FieldRef.parse("snap/address"): FieldSpec(
        ref=FieldRef.parse("snap/address"),
        sensitivity=Sensitivity("contact"),
        label="Home address",
        column="address",
    )
}


def test_fields_read_as_their_label_and_program_in_both_languages() -> None:
    assert field_namer(CATALOGUE, "en")("snap/address") == "Home address — SNAP (food assistance)"
    assert field_namer(CATALOGUE, "es")("snap/address") == (
        "Dirección del hogar — SNAP (asistencia alimentaria)"
    )


def test_a_field_the_catalogue_does_not_know_still_reads_as_words() -> None:
    assert field_namer(CATALOGUE, "en")("tanf/date_of_birth") == (
        "Date of birth — TANF (cash assistance)"
    )
    assert field_namer({}, "es")("medicaid/ssn") == "Ssn — Medicaid (cobertura médica)"


def test_codes_read_as_words() -> None:
    assert code_word("court_order", "en") == "court order"
    assert code_word("court_order", "es") == "orden judicial"
    assert code_word("on_hold", "en") == "on hold (challenged)"
    assert code_word("something_new", "es") == "something new"


def test_dates_read_as_a_letter_writes_them() -> None:
    assert day_words("2026-03-02", "en") == "March 2, 2026"
    assert day_words(dt.date(2026, 3, 2), "es") == "2 de marzo de 2026"
    assert day_words("soon", "en") == "soon"
