"""Properties of records: a bad import file never writes; matching never loosens."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from custos.domain.errors import ImportRejectedError, InvalidInputError
from custos.domain.subjects import SubjectIdentifier, normalize_name, normalize_ssn
from custos.records import DEMO_PEOPLE, demo_records, load, match
from custos.store.tables import LedgerEntry, Person
from custos.workflow import records as records_workflow
from custos.workflow.context import Context

FIXTURES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

GOOD_ROW = {
    "household_case_number": "Q-1",
    "county": "Greene",
    "street": "1 Main St",
    "city": "Springfield",
    "zip": "65806",
    "dcn": "7770001",
    "first_name": "Pat",
    "last_name": "Doe",
    "birth_date": "1980-01-01",
    "ssn": "912-34-5678",
    "immigration_status": "citizen",
    "tanf_monthly_amount_cents": "12000",
    "tanf_start_date": "2024-01-01",
}

#: Values that make each column wrong on its own.
BAD_VALUES = {
    "county": st.sampled_from(["St. Louis", "Kansas", "Greene Countyy"]),
    "zip": st.from_regex(r"\A(\d{0,4}|\d{6,8}|[a-z]{5})\Z"),
    "dcn": st.from_regex(r"\A[0-9]{3} [0-9]{3}\Z|\A.{21,30}\Z"),
    "birth_date": st.from_regex(r"\A\d{2}/\d{2}/\d{4}\Z")
    | st.sampled_from(["2001-02-29", "1899-12-31", "3000-01-01"]),
    "ssn": st.from_regex(r"\A\d{1,8}\Z|\A\d{10,12}\Z"),
    "immigration_status": st.text(min_size=1, max_size=10).filter(
        lambda s: s.strip() not in {"citizen", "unknown"} and s.strip() != ""
    ),
    "tanf_monthly_amount_cents": st.from_regex(r"\A-\d{1,5}\Z|\A\d+\.\d\d\Z"),
    "tanf_start_date": st.sampled_from(["2024-13-01", "yesterday", "2024/01/01"]),
}


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(GOOD_ROW))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _people_and_entries(ctx: Context) -> tuple[int, int]:
    with ctx.reading() as s:
        return (
            s.execute(select(func.count()).select_from(Person)).scalar_one(),
            s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one(),
        )


@FIXTURES
@given(
    good_rows=st.integers(min_value=0, max_value=5),
    position=st.integers(min_value=0, max_value=5),
    bad=st.sampled_from(sorted(BAD_VALUES)).flatmap(
        lambda column: st.tuples(st.just(column), BAD_VALUES[column])
    ),
)
def test_a_file_with_one_bad_cell_writes_nothing(
    sqlite_ctx: Context, tmp_path: Path, good_rows: int, position: int, bad: tuple[str, str]
) -> None:
    rows = []
    for i in range(good_rows + 1):
        row = dict(
            GOOD_ROW, dcn=f"7770{i:03d}", household_case_number=f"Q-{i}", ssn=f"91234{i:04d}"
        )
        rows.append(row)
    target = min(position, good_rows)
    column, value = bad
    rows[target][column] = value
    path = tmp_path / "bad.csv"
    path.write_bytes(_csv(rows))
    before = _people_and_entries(sqlite_ctx)
    with pytest.raises(ImportRejectedError) as info:
        records_workflow.import_file(sqlite_ctx, path)
    assert _people_and_entries(sqlite_ctx) == before
    assert any(p.row == target + 1 and p.column == column for p in info.value.rows)


@FIXTURES
@given(blob=st.binary(max_size=400))
def test_arbitrary_bytes_never_write(sqlite_ctx: Context, tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "noise.csv"
    path.write_bytes(blob)
    before = _people_and_entries(sqlite_ctx)
    with pytest.raises(InvalidInputError):  # ImportRejectedError is one
        records_workflow.import_file(sqlite_ctx, path)
    assert _people_and_entries(sqlite_ctx) == before


@pytest.fixture
def demo_ctx(sqlite_ctx: Context) -> Context:
    with sqlite_ctx.transaction() as session:
        load(session, demo_records())
    return sqlite_ctx


_UNIQUE = [p for k, p in DEMO_PEOPLE.items() if not k.startswith("twin")]


def _edit(text: str) -> st.SearchStrategy[str]:
    """Small edits of `text`: drop, add or change one character."""
    positions = st.integers(min_value=0, max_value=max(len(text) - 1, 0))
    chars = st.sampled_from("0123456789abcdefxyz -")
    return st.one_of(
        positions.map(lambda i: text[:i] + text[i + 1 :]),
        st.tuples(positions, chars).map(lambda t: text[: t[0]] + t[1] + text[t[0] :]),
        st.tuples(positions, chars).map(lambda t: text[: t[0]] + t[1] + text[t[0] + 1 :]),
    )


@FIXTURES
@given(data=st.data())
def test_an_edited_case_number_matches_only_its_exact_owner(
    demo_ctx: Context, data: st.DataObject
) -> None:
    person = data.draw(st.sampled_from(_UNIQUE))
    edited = data.draw(_edit(person.dcn))
    with demo_ctx.reading() as s:
        found = match(s, SubjectIdentifier(case_number=edited))
        owner = s.execute(select(Person.id).where(Person.dcn == edited.strip())).scalar()
    assert found == owner


@FIXTURES
@given(data=st.data())
def test_an_edited_name_or_birth_date_matches_only_an_exact_owner(
    demo_ctx: Context, data: st.DataObject
) -> None:
    person = data.draw(st.sampled_from(_UNIQUE))
    name = data.draw(_edit(person.full_name) | st.just(person.full_name))
    shift = data.draw(st.integers(min_value=-3, max_value=3))
    birth = person.birth_date + dt.timedelta(days=shift)
    if not normalize_name(name):
        return
    with demo_ctx.reading() as s:
        found = match(s, SubjectIdentifier(full_name=name, birth_date=birth))
    exact = normalize_name(name) == normalize_name(person.full_name) and shift == 0
    if exact:
        assert found == person.person_id
    else:
        assert found is None


@FIXTURES
@given(digits=st.from_regex(r"\A\d{9}\Z"))
def test_an_ssn_matches_only_the_person_with_exactly_that_ssn(
    demo_ctx: Context, digits: str
) -> None:
    owners = {p.ssn: p.person_id for p in DEMO_PEOPLE.values() if p.ssn}
    with demo_ctx.reading() as s:
        found = match(s, SubjectIdentifier(ssn=digits))
    assert found == owners.get(normalize_ssn(digits))
