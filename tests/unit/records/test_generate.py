"""The demo-data generator: deterministic, and records that look like a real caseload."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from custos.domain.subjects import normalize_name
from custos.records import (
    AS_OF,
    COUNTY_NAMES,
    DEMO_PEOPLE,
    IMMIGRATION_STATUSES,
    RELATIONSHIPS,
    RecordSet,
    generate,
)


@pytest.fixture(scope="module")
def records() -> RecordSet:
    return generate(5_000, seed=11)


def test_same_seed_same_records(records: RecordSet) -> None:
    again = generate(5_000, seed=11)
    assert records.people.equals(again.people)
    assert records.households.equals(again.households)
    assert records.enrolments.equals(again.enrolments)


def test_different_seed_different_records(records: RecordSet) -> None:
    other = generate(5_000, seed=12)
    assert not records.people.equals(other.people)


def test_exactly_the_requested_number_of_people(records: RecordSet) -> None:
    assert records.people.height == 5_000
    assert generate(len(DEMO_PEOPLE), seed=1).people.height == len(DEMO_PEOPLE)


def test_too_few_people_for_the_demo_people_is_refused() -> None:
    with pytest.raises(ValueError, match="demo people"):
        generate(len(DEMO_PEOPLE) - 1, seed=1)


def test_identifiers_are_unique(records: RecordSet) -> None:
    people = records.people
    assert people["id"].n_unique() == people.height
    assert people["dcn"].n_unique() == people.height
    ssns = people["ssn"].drop_nulls()
    assert ssns.n_unique() == ssns.len()
    assert records.households["case_number"].n_unique() == records.households.height


def test_ssns_are_from_never_issued_areas_and_some_people_have_none(records: RecordSet) -> None:
    ssns = records.people["ssn"].drop_nulls()
    assert ssns.str.contains(r"^9\d{8}$").all()
    assert 0 < records.people["ssn"].null_count() < records.people.height // 5


def test_addresses_are_in_missouri(records: RecordSet) -> None:
    hh = records.households
    assert set(hh["county"].unique()) <= COUNTY_NAMES
    assert hh["zip"].str.contains(r"^6[345]\d{3}$").all()
    assert hh["county"].n_unique() > 50  # spread over the state, not one county


def test_populous_counties_get_more_households(records: RecordSet) -> None:
    counts = dict(records.households["county"].value_counts().iter_rows())
    assert counts["St. Louis County"] > counts.get("Worth", 0)
    assert counts["Jackson"] > counts.get("Knox", 0)


def test_phones_are_fictional(records: RecordSet) -> None:
    phones = records.people["phone"].filter(records.people["phone"] != "")
    assert phones.str.contains(r"^\d{3}-555-01\d{2}$").all()


def test_names_are_diverse_with_accents(records: RecordSet) -> None:
    last = records.people["last_name"]
    assert last.n_unique() > 100
    assert last.str.contains("[áéíóúñčćžễ]").any()


def test_stored_normalized_name_matches_the_domain_rule(records: RecordSet) -> None:
    sample = records.people.select("first_name", "last_name", "name_norm").head(500)
    for first, last, norm in sample.iter_rows():
        assert norm == normalize_name(f"{first} {last}")


def test_each_household_has_one_head_and_consistent_ages(records: RecordSet) -> None:
    people = records.people
    assert set(people["relationship"].unique()) <= set(RELATIONSHIPS)
    heads = people.filter(pl.col("relationship") == "head")
    assert heads.height == records.households.height
    assert heads["household_id"].n_unique() == heads.height
    joined = people.filter(pl.col("relationship") == "child").join(
        heads.select("household_id", head_birth="birth_date"), on="household_id"
    )
    gap = (joined["birth_date"] - joined["head_birth"]).dt.total_days()
    assert (gap >= 16 * 365).all()
    adults = heads["birth_date"] <= AS_OF - dt.timedelta(days=18 * 365)
    assert adults.all()


def test_household_sizes_are_one_to_six(records: RecordSet) -> None:
    sizes = records.people.group_by("household_id").len()["len"]
    assert sizes.min() == 1
    assert sizes.max() == 6


def test_immigration_status_mostly_citizen_with_determinations_only_if_not_qualified(
    records: RecordSet,
) -> None:
    people = records.people
    assert set(people["immigration_status"].unique()) <= set(IMMIGRATION_STATUSES)
    citizens = (people["immigration_status"] == "citizen").sum()
    assert citizens > people.height * 0.8
    determined = people.filter(pl.col("determination_on_file"))
    assert set(determined["immigration_status"].unique()) == {"not_qualified"}


def test_enrolments_cover_all_programs_with_sane_amounts_and_dates(records: RecordSet) -> None:
    e = records.enrolments
    assert set(e["program"].unique()) == {"snap", "tanf", "medicaid", "housing"}
    assert (e["monthly_amount_cents"] > 0).all()
    ended = e.filter(pl.col("end_date").is_not_null())
    assert (ended["end_date"] >= ended["start_date"]).all()
    assert 0 < ended.height < e.height
    assert set(e["person_id"].unique()) <= set(records.people["id"])


def test_demo_people_are_always_included_at_their_identifiers(records: RecordSet) -> None:
    by_id = {row["id"]: row for row in records.people.iter_rows(named=True)}
    for demo in DEMO_PEOPLE.values():
        row = by_id[demo.person_id]
        assert row["dcn"] == demo.dcn
        assert row["ssn"] == demo.ssn
        assert row["birth_date"] == demo.birth_date
        assert row["immigration_status"] == demo.immigration_status
    household = records.people.filter(
        pl.col("household_id") == DEMO_PEOPLE["household_head"].household_id
    )
    assert household.height == 4


def test_no_synthetic_person_shares_a_demo_persons_name_and_birth_date() -> None:
    records = generate(20_000, seed=3)
    keys = records.people.group_by("name_norm", "birth_date").len()
    demo = {(normalize_name(p.full_name), p.birth_date) for p in DEMO_PEOPLE.values()}
    for name, birth, count in keys.iter_rows():
        if (name, birth) in demo:
            expected = 2 if name == "jordan lee whitmore casey" else 1
            assert count == expected
