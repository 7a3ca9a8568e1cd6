"""Synthetic, realistic benefits records, generated column-wise with Polars.

Determinism: every random draw comes from one `random.Random(seed)` in a fixed order, and all
dates are relative to a fixed `AS_OF` date rather than today, so a seed always yields the same
records. Speed: draws are whole columns (one Python list per column), and all per-row logic is
Polars expressions, so a million people take seconds, not minutes.

Identifiers are unique by construction, not by retry: SSNs, DCNs and case-number serials are
affine permutations (a·i + b mod m, with a coprime to m) of a running counter, which are
bijections, so two people never share one and the numbers still look scattered.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import random
from dataclasses import dataclass

import polars as pl

from custos.domain.subjects import normalize_name
from custos.records._demo import demo_people, demo_records
from custos.records._frames import RecordSet
from custos.records._geography import COUNTIES
from custos.records._names import EMPLOYERS, GROUPS, STREET_SUFFIXES, STREETS

#: Generated dates are relative to this day, not today, so output depends only on the seed.
AS_OF = dt.date(2025, 7, 1)
#: Household serials have 7 digits from 1,000,000: at most 9,000,000 households.
MAX_PEOPLE = 9_000_000

_EPOCH = dt.date(1970, 1, 1)
_AS_OF_DAY = (AS_OF - _EPOCH).days
_HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
_HOUSEHOLD_SIZE_WEIGHTS = (0.34, 0.23, 0.18, 0.13, 0.08, 0.04)
#: Non-citizen statuses and their shares among non-citizens.
_NONCITIZEN = (
    ("lawful_permanent_resident", 0.47),
    ("refugee_asylee", 0.13),
    ("other_qualified", 0.08),
    ("not_qualified", 0.24),
    ("unknown", 0.08),
)
_SSN_BASE, _SSN_RANGE = 900_000_000, 89_000_000  # areas 900-988; 999 is the demo's
_DCN_BASE, _DCN_RANGE = 1_000_000_000, 8_000_000_000  # 1xxxxxxxxx-8xxxxxxxxx; 9… is the demo's
_CASE_BASE, _CASE_RANGE = 1_000_000, 9_000_000  # serials below 1,000,000 are the demo's


def generate(people: int, seed: int) -> RecordSet:
    """`people` people in households (the fixed demo people included), deterministic in `seed`."""
    fixed = demo_records()
    if people < fixed.people.height:
        raise ValueError(f"generate at least {fixed.people.height} people (the demo people)")
    if people > MAX_PEOPLE:
        raise ValueError(f"generate at most {MAX_PEOPLE:,} people")
    synthetic = _synthetic(people - fixed.people.height, random.Random(seed))  # noqa: S311  # nosec B311 - synthetic data, not secrets; must be seedable
    return RecordSet.concat([fixed, synthetic])


class _Draws:
    """Whole columns of random draws from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def uniform(self, n: int) -> pl.Series:
        r = self.rng.random
        return pl.Series([r() for _ in range(n)], dtype=pl.Float64)

    def pick(self, n: int, weights: list[float] | tuple[float, ...]) -> pl.Series:
        """Indices 0..len(weights)-1 drawn with the given weights."""
        idx = self.rng.choices(range(len(weights)), weights=weights, k=n)
        return pl.Series(idx, dtype=pl.Int64)

    def coprime(self, modulus: int) -> int:
        """A multiplier for an affine permutation mod `modulus`."""
        while True:
            a = self.rng.randrange(modulus // 3, modulus - 1)
            if math.gcd(a, modulus) == 1:
                return a


def _pool(values: list[str]) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=pl.String))


@dataclass(frozen=True, kw_only=True)
class _Affine:
    """An affine permutation `a·i + b mod modulus`, shifted by `base`: unique identifiers."""

    a: int
    b: int
    modulus: int
    base: int

    @classmethod
    def draw(cls, d: _Draws, modulus: int, base: int) -> _Affine:
        a = d.coprime(modulus)
        return cls(a=a, b=d.rng.randrange(modulus), modulus=modulus, base=base)

    def of(self, i: pl.Expr) -> pl.Expr:
        return ((i * self.a + self.b) % self.modulus + self.base).cast(pl.String)


def _synthetic(n: int, rng: random.Random) -> RecordSet:
    """`n` synthetic people; each step draws its columns from `rng` in a fixed order."""
    d = _Draws(rng)
    if n == 0:
        empty = demo_records()
        return RecordSet(
            households=empty.households.clear(),
            people=empty.people.clear(),
            enrolments=empty.enrolments.clear(),
        )
    hh = _households(_household_sizes(n, rng), d)
    people = _avoid_demo_names(_people(hh, d, n))
    enrolments = _enrolments(people, d)
    return RecordSet(households=hh, people=people, enrolments=enrolments).conformed()


def _household_sizes(n: int, rng: random.Random) -> list[int]:
    """1. Household sizes until they hold n people; the last household is cut to fit."""
    sizes: list[int] = []
    total = 0
    for size in rng.choices(_HOUSEHOLD_SIZES, weights=_HOUSEHOLD_SIZE_WEIGHTS, k=n):
        sizes.append(min(size, n - total))
        total += sizes[-1]
        if total == n:
            break
    return sizes


def _county_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "county_idx": pl.Series(range(len(COUNTIES)), dtype=pl.Int64),
            "county": [c.name for c in COUNTIES],
            "fips": [c.fips for c in COUNTIES],
            "zip3": [c.zip3 for c in COUNTIES],
            "area": [c.area_code for c in COUNTIES],
            "cities": [list(c.cities) for c in COUNTIES],
        }
    )


def _household_draws(sizes: list[int], d: _Draws) -> tuple[pl.DataFrame, _Affine]:
    """2a. Each household's random columns, and the permutation of its case number."""
    h, rng = len(sizes), d.rng
    county_idx = d.pick(h, [c.population for c in COUNTIES])
    group_idx = d.pick(h, [g.weight for g in GROUPS])
    case = _Affine.draw(d, _CASE_RANGE, _CASE_BASE)
    frame = pl.DataFrame(
        {
            "h": pl.Series(range(h), dtype=pl.Int64),
            "size": pl.Series(sizes, dtype=pl.Int64),
            "county_idx": county_idx,
            "group": group_idx,
            "u_city": d.uniform(h),
            "number": pl.Series([rng.randrange(100, 9900) for _ in range(h)], dtype=pl.Int64),
            "street_i": d.pick(h, [1.0] * len(STREETS)),
            "suffix_i": d.pick(h, [1.0] * len(STREET_SUFFIXES)),
            "zip5": pl.Series([rng.randrange(1, 100) for _ in range(h)], dtype=pl.Int64),
            "phone": pl.Series([rng.randrange(0, 100) for _ in range(h)], dtype=pl.Int64),
            "last_hh": d.uniform(h),
            "u_snap": d.uniform(h),
            "u_tanf": d.uniform(h),
            "u_housing": d.uniform(h),
        }
    )
    return frame, case


def _households(sizes: list[int], d: _Draws) -> pl.DataFrame:
    """2. Households: county by population, a name group, an address, a phone, programs."""
    draws, case = _household_draws(sizes, d)
    return draws.join(_county_frame(), on="county_idx", how="left").with_columns(
        id=pl.format("hh_{}", pl.col("h").cast(pl.String).str.zfill(8)),
        case_number=pl.col("fips") + case.of(pl.col("h")),
        city=pl.col("cities").list.get(
            (pl.col("u_city") * pl.col("cities").list.len()).floor().cast(pl.Int64)
        ),
        street=pl.format(
            "{} {} {}",
            pl.col("number"),
            _pool(list(STREETS)).gather(pl.col("street_i")),
            _pool(list(STREET_SUFFIXES)).gather(pl.col("suffix_i")),
        ),
        zip=pl.col("zip3") + pl.col("zip5").cast(pl.String).str.zfill(2),
        hh_phone=pl.format(
            "{}-555-01{}", pl.col("area"), pl.col("phone").cast(pl.String).str.zfill(2)
        ),
        snap_hh=pl.col("u_snap") < 0.72,  # noqa: PLR2004 - share of households on SNAP
        tanf_hh=(pl.col("u_tanf") < 0.14) & (pl.col("size") > 1),  # noqa: PLR2004
        housing_hh=pl.col("u_housing") < 0.15,  # noqa: PLR2004
    )


#: The uniform draws of each member, in the order they are drawn.
_MEMBER_DRAWS = (
    "rel",
    "age1",
    "age2",
    "day",
    "first",
    "last",
    "keep_last",
    "status",
    "status2",
    "det",
    "opt",
    "ssn",
    "job",
    "job_i",
    "medicaid",
)


def _group_frame(first_off: dict[str, int], last_off: dict[str, int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "group": pl.Series(range(len(GROUPS)), dtype=pl.Int64),
            "first_off": [first_off[g.key] for g in GROUPS],
            "first_len": [len(g.first) for g in GROUPS],
            "last_off": [last_off[g.key] for g in GROUPS],
            "last_len": [len(g.last) for g in GROUPS],
            "nc_factor": [g.noncitizen_factor for g in GROUPS],
        }
    )


def _members(hh: pl.DataFrame, d: _Draws, n: int, groups: pl.DataFrame) -> pl.DataFrame:
    """3a. One row per household member, with the member's uniform draws."""
    members = (
        hh.select(
            "h", "id", "size", "group", "last_hh", "hh_phone", "snap_hh", "tanf_hh", "housing_hh"
        )
        .rename({"id": "household_id"})
        .with_columns(pos=pl.int_ranges(0, pl.col("size")))
        .explode("pos")
        .with_columns(i=pl.int_range(0, pl.len(), dtype=pl.Int64))
    )
    u = {name: d.uniform(n) for name in _MEMBER_DRAWS}
    return members.with_columns(**{f"u_{k}": v for k, v in u.items()}).join(
        groups, on="group", how="left"
    )


def _ages(members: pl.DataFrame) -> pl.DataFrame:
    """3b. Relationship to the head of household, and age."""
    head_age = (19 + ((pl.col("u_age1") + pl.col("u_age2")) / 2 * 60).floor()).cast(pl.Int64)
    members = members.with_columns(
        relationship=pl.when(pl.col("pos") == 0)
        .then(pl.lit("head"))
        .when((pl.col("pos") == 1) & (pl.col("u_rel") < 0.5))  # noqa: PLR2004
        .then(pl.lit("spouse"))
        .when(pl.col("u_rel") < 0.88)  # noqa: PLR2004
        .then(pl.lit("child"))
        .otherwise(pl.lit("other")),
        own_age=head_age,
    ).with_columns(head_age=pl.col("own_age").first().over("h"))
    child_span = (pl.col("head_age") - 20).clip(0, 30) + 1
    age = (
        pl.when(pl.col("relationship") == "head")
        .then(pl.col("head_age"))
        .when(pl.col("relationship") == "spouse")
        .then((pl.col("head_age") + (pl.col("u_age1") * 7).floor() - 3).clip(18, 99))
        .when(pl.col("relationship") == "child")
        .then((pl.col("u_age1") * child_span).floor())
        .otherwise((pl.col("u_age1") * 91).floor())
        .cast(pl.Int64)
    )
    return members.with_columns(age=age)


_ADULT = pl.col("age") >= 18  # noqa: PLR2004


def _immigration_status(members: pl.DataFrame) -> pl.DataFrame:
    """3c. Citizen, or a non-citizen status by the group's and the age's shares."""
    p_nc = pl.col("nc_factor") * pl.when(_ADULT).then(0.4).otherwise(0.08)
    upper_bounds = itertools.accumulate(share for _, share in _NONCITIZEN)
    status_expr: pl.Expr = pl.lit("unknown")
    for (name, _), upper in reversed(list(zip(_NONCITIZEN, upper_bounds, strict=True))):
        status_expr = pl.when(pl.col("u_status2") < upper).then(pl.lit(name)).otherwise(status_expr)
    status_expr = (
        pl.when(pl.col("u_status") >= p_nc + 0.005)
        .then(pl.lit("citizen"))
        .when(pl.col("u_status") >= p_nc)
        .then(pl.lit("unknown"))
        .otherwise(status_expr)
    )
    return members.with_columns(immigration_status=status_expr)


def _names_and_births(members: pl.DataFrame) -> pl.DataFrame:
    """3d. Names (most members keep the household's last name), SSN or not, birth day."""
    firsts, lasts, _, _ = _name_pools()
    first_norms = _pool([normalize_name(x) for x in firsts])
    last_norms = _pool([normalize_name(x) for x in lasts])
    status = pl.col("immigration_status")
    p_ssn = (
        pl.when(status == "citizen")
        .then(0.97)
        .when(status.is_in(["lawful_permanent_resident", "refugee_asylee", "other_qualified"]))
        .then(0.92)
        .when(status == "not_qualified")
        .then(0.1)
        .otherwise(0.5)
    )
    first_i = pl.col("first_off") + (pl.col("u_first") * pl.col("first_len")).floor().cast(pl.Int64)
    shared_last = pl.col("last_off") + (pl.col("last_hh") * pl.col("last_len")).floor().cast(
        pl.Int64
    )
    own_last = pl.col("last_off") + (pl.col("u_last") * pl.col("last_len")).floor().cast(pl.Int64)
    keeps = (
        pl.when(pl.col("relationship") == "head")
        .then(True)  # noqa: FBT003
        .when(pl.col("relationship") == "spouse")
        .then(pl.col("u_keep_last") < 0.7)  # noqa: PLR2004
        .when(pl.col("relationship") == "child")
        .then(pl.col("u_keep_last") < 0.9)  # noqa: PLR2004
        .otherwise(pl.col("u_keep_last") < 0.3)  # noqa: PLR2004
    )
    return members.with_columns(
        first_i=first_i,
        last_i=pl.when(keeps).then(shared_last).otherwise(own_last),
        has_ssn=pl.col("u_ssn") < p_ssn,
        birth_day=(_AS_OF_DAY - pl.col("age") * 365.25 - (pl.col("u_day") * 365).floor()).cast(
            pl.Int32
        ),
    ).with_columns(
        first_name=_pool(firsts).gather(pl.col("first_i")),
        last_name=_pool(lasts).gather(pl.col("last_i")),
        name_norm=first_norms.gather(pl.col("first_i")) + " " + last_norms.gather(pl.col("last_i")),
        ssn_k=pl.col("has_ssn").cast(pl.Int64).cum_sum() - 1,
    )


def _people(hh: pl.DataFrame, d: _Draws, n: int) -> pl.DataFrame:
    """3. Members: relationship, age, name, status, SSN, phone and employer."""
    _, _, first_off, last_off = _name_pools()
    ssn = _Affine.draw(d, _SSN_RANGE, _SSN_BASE)
    dcn = _Affine.draw(d, _DCN_RANGE, _DCN_BASE)
    members = _members(hh, d, n, _group_frame(first_off, last_off))
    members = _names_and_births(_immigration_status(_ages(members)))
    status = pl.col("immigration_status")
    return members.with_columns(
        id=pl.format("per_{}", pl.col("i").cast(pl.String).str.zfill(9)),
        dcn=dcn.of(pl.col("i")),
        birth_date=pl.col("birth_day").cast(pl.Date),
        ssn=pl.when(pl.col("has_ssn")).then(ssn.of(pl.col("ssn_k"))),
        phone=pl.when(_ADULT).then(pl.col("hh_phone")).otherwise(pl.lit("")),
        employer=pl.when(_ADULT & (pl.col("age") < 67) & (pl.col("u_job") < 0.55))  # noqa: PLR2004
        .then(_pool(list(EMPLOYERS)).gather((pl.col("u_job_i") * len(EMPLOYERS)).cast(pl.Int64)))
        .otherwise(pl.lit("")),
        determination_on_file=(status == "not_qualified") & (pl.col("u_det") < 0.08),  # noqa: PLR2004
        opted_out=pl.col("u_opt") < 0.005,  # noqa: PLR2004
        photo_ref=pl.lit(""),
    )


def _name_pools() -> tuple[list[str], list[str], dict[str, int], dict[str, int]]:
    firsts: list[str] = []
    lasts: list[str] = []
    first_off: dict[str, int] = {}
    last_off: dict[str, int] = {}
    for g in GROUPS:
        first_off[g.key], last_off[g.key] = len(firsts), len(lasts)
        firsts.extend(g.first)
        lasts.extend(g.last)
    return firsts, lasts, first_off, last_off


def _avoid_demo_names(people: pl.DataFrame) -> pl.DataFrame:
    """Move any synthetic namesake of a demo person by a day, keeping demo matches unique."""
    taken = pl.DataFrame(
        {
            "name_norm": [normalize_name(p.full_name) for p in demo_people()],
            "birth_date": [p.birth_date for p in demo_people()],
            "clash": [True] * len(demo_people()),
        }
    ).unique(["name_norm", "birth_date"])
    return (
        people.join(taken, on=["name_norm", "birth_date"], how="left")
        .with_columns(
            birth_date=pl.when(pl.col("clash"))
            .then(pl.col("birth_date") + pl.duration(days=1))
            .otherwise(pl.col("birth_date"))
        )
        .drop("clash")
    )


def _shifted(column: str, *, offset: int) -> pl.Expr:
    """A shared uniform draw rotated per program, so programs are not in lockstep."""
    return (pl.col(column) + offset * 0.618_034) % 1.0


def _enrolment_base(people: pl.DataFrame, d: _Draws) -> pl.DataFrame:
    """4a. What enrolment depends on, with each person's uniform draws for it."""
    n = people.height
    return people.select(
        "id",
        "snap_hh",
        "tanf_hh",
        "housing_hh",
        "relationship",
        "age",
        "immigration_status",
        "birth_day",
    ).with_columns(
        u_medicaid=d.uniform(n),
        u_amount=d.uniform(n),
        u_start=d.uniform(n),
        u_end=d.uniform(n),
        u_end_at=d.uniform(n),
    )


def _programs() -> list[tuple[str, pl.Expr, int, int]]:
    """4b. Each program: who is enrolled, and the monthly amount's range in cents."""
    eligible = pl.col("immigration_status") != "not_qualified"
    p_medicaid = (
        pl.when(pl.col("age") < 19)  # noqa: PLR2004
        .then(0.85)
        .when(pl.col("age") >= 65)  # noqa: PLR2004
        .then(0.7)
        .otherwise(0.4)
    )
    return [
        ("snap", pl.col("snap_hh") & eligible, 5_000, 29_100),
        (
            "tanf",
            pl.col("tanf_hh") & eligible & pl.col("relationship").is_in(["head", "child"]),
            8_000,
            29_200,
        ),
        (
            "medicaid",
            pl.when(eligible)
            .then(pl.col("u_medicaid") < p_medicaid)
            .otherwise(pl.col("u_medicaid") < 0.2),  # noqa: PLR2004 - emergency Medicaid
            25_000,
            90_000,
        ),
        ("housing", pl.col("housing_hh") & (pl.col("relationship") == "head"), 30_000, 110_000),
    ]


def _enrolled(
    base: pl.DataFrame, offset: int, program: str, enrolled: pl.Expr, cents: tuple[int, int]
) -> pl.DataFrame:
    """4c. One program's enrolments: start within ten years, some ended since."""
    low, high = cents
    shift = functools.partial(_shifted, offset=offset)
    start_day = pl.max_horizontal(
        pl.col("birth_day"), _AS_OF_DAY - (shift("u_start") * 3650).floor()
    ).cast(pl.Int32)
    ended = shift("u_end") < 0.12  # noqa: PLR2004
    end_day = (
        pl.col("start_day") + (shift("u_end_at") * (_AS_OF_DAY - pl.col("start_day"))).floor()
    ).cast(pl.Int32)
    return (
        base.filter(enrolled)
        .with_columns(start_day=start_day)
        .select(
            person_id=pl.col("id"),
            program=pl.lit(program),
            monthly_amount_cents=(low + shift("u_amount") * (high - low)).round().cast(pl.Int64),
            start_date=pl.col("start_day").cast(pl.Date),
            end_date=pl.when(ended).then(end_day.cast(pl.Date)),
        )
    )


def _enrolments(people: pl.DataFrame, d: _Draws) -> pl.DataFrame:
    """4. Enrolments by program, with amounts in cents and start dates."""
    base = _enrolment_base(people, d)
    return pl.concat(
        [
            _enrolled(base, offset, program, enrolled, (low, high))
            for offset, (program, enrolled, low, high) in enumerate(_programs())
        ]
    )
