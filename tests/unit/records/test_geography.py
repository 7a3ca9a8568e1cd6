"""Counties: every Missouri county is known, and names are read the way people write them."""

from __future__ import annotations

import pytest

from custos.records import COUNTIES, COUNTY_NAMES, canonical_county


def test_all_114_counties_and_st_louis_city() -> None:
    assert len(COUNTIES) == 115
    assert len(COUNTY_NAMES) == 115
    assert "St. Louis City" in COUNTY_NAMES
    assert len({c.fips for c in COUNTIES}) == 115


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("Boone", "Boone"),
        ("boone county", "Boone"),
        ("Saint Charles", "St. Charles"),
        ("St Charles County", "St. Charles"),
        ("Ste. Genevieve", "Ste. Genevieve"),
        ("De Kalb", "DeKalb"),
        ("City of St. Louis", "St. Louis City"),
        ("st. louis county", "St. Louis County"),
    ],
)
def test_usual_spellings_resolve(written: str, stored: str) -> None:
    assert canonical_county(written) == stored


@pytest.mark.parametrize("written", ["St. Louis", "Atlantis", "", "Boone County County"])
def test_unknown_or_ambiguous_names_do_not_resolve(written: str) -> None:
    assert canonical_county(written) is None
