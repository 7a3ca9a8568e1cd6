"""The fixed demo people: always present in generated data, at identifiers docs and tests name.

Their identifiers live in reserved ranges the random generator never uses — DCNs starting with
9, SSNs in area 999, household serials below 1,000,000 — so no synthetic person can collide
with them, and the generator moves any synthetic person whose normalized name and birth date
equal a demo person's by one day, so a name + birth date match on them stays unambiguous.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import MappingProxyType

import polars as pl

from custos.domain.subjects import normalize_name
from custos.records._frames import RecordSet
from custos.records._geography import COUNTIES


@dataclass(frozen=True, kw_only=True)
class DemoPerson:
    """One fixed person of the demo, with the identifiers a request would name them by."""

    key: str
    person_id: str
    household_id: str
    case_number: str
    dcn: str
    #: Nine digits, no dashes; None for the member without an SSN.
    ssn: str | None
    first_name: str
    last_name: str
    birth_date: dt.date
    county: str
    relationship: str
    programs: tuple[str, ...]
    immigration_status: str
    determination_on_file: bool = False
    opted_out: bool = False
    #: Why the demo has this person: the story a walkthrough tells with them.
    story: str
    #: Their photograph, relative to the data directory (the demo draws a placeholder there).
    photo_ref: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _p(  # noqa: PLR0917 - one row of the table below reads best positionally
    key: str,
    n: int,
    hh: int,
    county: str,
    first: str,
    last: str,
    born: str,
    programs: str,
    status: str,
    story: str,
    *,
    relationship: str = "head",
    ssn: bool = True,
    determination: bool = False,
    opted_out: bool = False,
) -> DemoPerson:
    fips = next(c.fips for c in COUNTIES if c.name == county)
    return DemoPerson(
        key=key,
        person_id=f"per_demo_{n:02d}",
        household_id=f"hh_demo_{hh:02d}",
        case_number=f"{fips}{hh:07d}",
        dcn=f"90000000{n:02d}",
        ssn=f"9990100{n:02d}" if ssn else None,
        first_name=first,
        last_name=last,
        birth_date=dt.date.fromisoformat(born),
        county=county,
        relationship=relationship,
        programs=tuple(programs.split()),
        immigration_status=status,
        determination_on_file=determination,
        opted_out=opted_out,
        story=story,
        photo_ref=f"demo-photos/per_demo_{n:02d}.svg",
    )


_DEMO: tuple[DemoPerson, ...] = (
    _p(
        "snap_noncitizen",
        1,
        1,
        "Jasper",
        "María Guadalupe",
        "Ramírez Ortega",
        "1986-03-14",
        "snap",
        "lawful_permanent_resident",
        "SNAP recipient, lawful permanent resident: an immigration-enforcement request about her "
        "asks for immigration status without a court order.",
    ),
    _p(
        "snap_fleeing_felon",
        2,
        2,
        "St. Louis City",
        "Darnell",
        "Whitacre-Booker",
        "1991-11-02",
        "snap",
        "citizen",
        "SNAP recipient wanted on a felony warrant: the fleeing-felon exception of "
        "7 U.S.C. 2020(e)(8)(E) applies when an officer makes all three statements.",
    ),
    _p(
        "tanf_determination",
        3,
        3,
        "Greene",
        "Carlos Alberto",
        "Mendoza Villalobos",
        "1984-07-21",
        "tanf",
        "not_qualified",
        "TANF recipient with a formal determination of unlawful presence on file: the "
        "quarterly report duty of 42 U.S.C. 611a is in play.",
        determination=True,
    ),
    _p(
        "medicaid",
        4,
        4,
        "Boone",
        "Emmaline",
        "Schacht",
        "1979-05-30",
        "medicaid",
        "citizen",
        "Medicaid recipient: health program data is held to the strictest rules.",
    ),
    _p(
        "household_head",
        5,
        5,
        "St. Charles",
        "Minh Quang",
        "Nguyễn",
        "1975-01-09",
        "snap housing",
        "lawful_permanent_resident",
        "Head of a four-member household on SNAP and housing assistance.",
    ),
    _p(
        "household_spouse",
        6,
        5,
        "St. Charles",
        "Thuy Tien",
        "Nguyễn",
        "1977-08-19",
        "snap medicaid",
        "citizen",
        "Spouse in the Nguyễn household.",
        relationship="spouse",
    ),
    _p(
        "household_child",
        7,
        5,
        "St. Charles",
        "Bao Anh",
        "Nguyễn",
        "2010-04-02",
        "snap medicaid",
        "citizen",
        "Child in the Nguyễn household.",
        relationship="child",
    ),
    _p(
        "household_child_no_ssn",
        8,
        5,
        "St. Charles",
        "Linh Chi",
        "Nguyễn",
        "2014-12-25",
        "snap medicaid",
        "citizen",
        "Child in the Nguyễn household without an SSN: only a case number or name and birth "
        "date can name her.",
        relationship="child",
        ssn=False,
    ),
    _p(
        "opted_out",
        9,
        6,
        "Jackson",
        "Latoya Renee",
        "Prescott-Hale",
        "1988-09-17",
        "snap medicaid",
        "citizen",
        "Opted out of discretionary sharing: only compelled disclosures reach her data.",
        opted_out=True,
    ),
    _p(
        "twin_name_a",
        10,
        7,
        "Greene",
        "Jordan Lee",
        "Whitmore-Casey",
        "1970-06-15",
        "snap",
        "citizen",
        "Shares name and birth date with twin_name_b: a name + birth date request is ambiguous "
        "and must get the same answer as a denial.",
    ),
    _p(
        "twin_name_b",
        11,
        8,
        "St. Louis County",
        "Jordan Lee",
        "Whitmore-Casey",
        "1970-06-15",
        "medicaid",
        "citizen",
        "The other Jordan Lee Whitmore-Casey (see twin_name_a).",
    ),
)

#: The demo people by story key. Identifiers here are stable across releases and seeds.
DEMO_PEOPLE: MappingProxyType[str, DemoPerson] = MappingProxyType({p.key: p for p in _DEMO})

_STREETS = {
    1: ("1207 S Garrison Ave", "Carthage", "64836"),
    2: ("4410 Natural Bridge Ave", "St. Louis", "63115"),
    3: ("2218 N Glenstone Ave", "Springfield", "65803"),
    4: ("905 Rangeline St", "Columbia", "65201"),
    5: ("31 Maple Leaf Ct", "St. Peters", "63376"),
    6: ("6120 Prospect Ave", "Kansas City", "64130"),
    7: ("88 Cherry Hill Rd", "Republic", "65738"),
    8: ("17 Florissant Meadows Dr", "Florissant", "63031"),
}
_AMOUNTS = {"snap": 29_100, "tanf": 23_400, "medicaid": 61_250, "housing": 84_000}
_START = dt.date(2021, 9, 1)


def demo_people() -> tuple[DemoPerson, ...]:
    """The fixed demo people, in a stable order."""
    return _DEMO


def demo_records() -> RecordSet:
    """The demo people as records ready to load."""
    households: dict[str, dict[str, object]] = {}
    people: list[dict[str, object]] = []
    enrolments: list[dict[str, object]] = []
    area = {c.name: c.area_code for c in COUNTIES}
    for p in _DEMO:
        hh_n = int(p.household_id.rsplit("_", 1)[1])
        street, city, zip_code = _STREETS[hh_n]
        households[p.household_id] = {
            "id": p.household_id,
            "case_number": p.case_number,
            "county": p.county,
            "street": street,
            "city": city,
            "zip": zip_code,
        }
        adult = p.relationship in {"head", "spouse"}
        people.append(
            {
                "id": p.person_id,
                "household_id": p.household_id,
                "dcn": p.dcn,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "name_norm": normalize_name(p.full_name),
                "birth_date": p.birth_date,
                "ssn": p.ssn,
                "phone": f"{area[p.county]}-555-01{int(p.dcn[-2:]):02d}" if adult else "",
                "employer": "Show-Me Staffing LLC" if p.key == "snap_fleeing_felon" else "",
                "relationship": p.relationship,
                "immigration_status": p.immigration_status,
                "determination_on_file": p.determination_on_file,
                "opted_out": p.opted_out,
                "photo_ref": p.photo_ref,
            }
        )
        enrolments.extend(
            {
                "person_id": p.person_id,
                "program": program,
                "monthly_amount_cents": _AMOUNTS[program],
                "start_date": _START,
                "end_date": None,
            }
            for program in p.programs
        )
    return RecordSet(
        households=pl.DataFrame(list(households.values())),
        people=pl.DataFrame(people),
        enrolments=pl.DataFrame(enrolments),
    ).conformed()
