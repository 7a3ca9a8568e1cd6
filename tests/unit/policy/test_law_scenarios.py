"""The law, as a table: what each pack must decide, written from the legal notes (LAW.md).

Each row is one request about one person and one field: requester kind × legal process ×
purpose × field × opt-out × the legal document's recorded scope, with what the notes say must
happen under each of the three packs. The expectations were written from the notes' table of
authorities and their findings, before running the packs:

- "DC": disclosed and marked compelled (the law says "shall be made available": an opt-out and
  the sanctuary pack cannot block it);
- "D": disclosed at the agency's discretion (an opt-out blocks it; the sanctuary pack shares
  nothing discretionary);
- "W": withheld.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from pathlib import Path

import pytest

from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.legal import (
    DocumentScope,
    FleeingFelonStatements,
    LegalProcess,
    LegalProcessKind,
)
from custos.domain.programs import FieldRef, Program
from custos.domain.subjects import SubjectFacts, SubjectIdentifier
from custos.policy import (
    OUTSIDE_SCOPE,
    AgreementFacts,
    DecisionContext,
    Pack,
    Subject,
    decide,
    load_pack,
    within_scope,
)

POLICIES = Path(__file__).resolve().parents[3] / "policies"
TODAY = dt.date(2026, 6, 1)
PACKS = ("missouri-dss", "sanctuary", "federal-floor")

K, P, L = RequesterKind, Purpose, LegalProcessKind
ALL3 = FleeingFelonStatements(
    fleeing_or_violating=True, locating_is_official_duty=True, proper_exercise_of_duty=True
)
TWO = dataclasses.replace(ALL3, proper_exercise_of_duty=False)


def _agreement(*fields: str, protocols: bool) -> AgreementFacts:
    refs = frozenset(FieldRef.parse(f) for f in fields)
    return AgreementFacts(
        programs=frozenset(r.program for r in refs),
        fields=refs,
        purposes=frozenset({P.PROGRAM_AUDIT}),
        agreement_id="agr-usda",
        protocol_document="USDA-Missouri data and security protocols" if protocols else "",
        use_limited_to_program=True,
        no_onward_sharing=True,
    )


PROTOCOLS = _agreement("snap/full_name", "snap/benefit_amount", "snap/address", protocols=True)
NO_PROTOCOLS = _agreement("snap/full_name", "snap/benefit_amount", protocols=False)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Row:
    name: str
    kind: RequesterKind
    purpose: Purpose
    process: LegalProcessKind
    field: str
    #: Expected under missouri-dss, sanctuary, federal-floor.
    expect: tuple[str, str, str]
    opted_out: bool = False
    determination: bool = False
    #: Programs or fields (`program/field`) the document names; None: no scope recorded.
    scope: tuple[str, ...] | None = None
    statements: FleeingFelonStatements = dataclasses.field(default_factory=FleeingFelonStatements)
    named: bool = True
    agreement: AgreementFacts | None = None
    requester_programs: tuple[Program, ...] = ()
    emergency: bool = False
    preservation: bool = False
    expires_on: dt.date | None = None
    programs: tuple[str, ...] = ("snap", "tanf", "medicaid", "housing")
    #: The people the document names ("case:…", "ssn:…" or "name:…|birth date"); empty: it
    #: names nobody in particular. Only read when a scope is recorded.
    scope_people: tuple[str, ...] = ()
    #: How the request names the person it asks about.
    subject: str = "case:1000000001"


ALL_W = ("W", "W", "W")
ALL_DC = ("DC", "DC", "DC")

#: The shapes rows come in: each fixes what its kind of request always has; a row may still
#: set any of them.
court = functools.partial(Row, kind=K.COURT, purpose=P.COURT_PROCEEDING, process=L.COURT_ORDER)
felon = functools.partial(
    Row,
    kind=K.LOCAL_LAW_ENFORCEMENT,
    purpose=P.FLEEING_FELON,
    process=L.WRITTEN_REQUEST,
    statements=ALL3,
)
ice = functools.partial(
    Row, kind=K.FEDERAL_IMMIGRATION_ENFORCEMENT, purpose=P.CIVIL_IMMIGRATION_ENFORCEMENT
)
presence_report = functools.partial(
    Row,
    kind=K.FEDERAL_IMMIGRATION_ENFORCEMENT,
    purpose=P.UNLAWFUL_PRESENCE_REPORT,
    process=L.STATUTORY_DUTY,
)
audit = functools.partial(Row, purpose=P.PROGRAM_AUDIT, process=L.STATUTORY_DUTY, named=False)
administration = functools.partial(
    Row, kind=K.STATE, purpose=P.PROGRAM_ADMINISTRATION, process=L.WRITTEN_REQUEST
)
investigation = functools.partial(
    Row, purpose=P.PROGRAM_VIOLATION_INVESTIGATION, process=L.WRITTEN_REQUEST
)
emergency = functools.partial(
    Row,
    kind=K.LOCAL_LAW_ENFORCEMENT,
    purpose=P.CRIMINAL_INVESTIGATION,
    process=L.WRITTEN_REQUEST,
    emergency=True,
)

ROWS: tuple[Row, ...] = (
    # Finding 2: administrative papers compel nothing.
    ice(
        name="ICE administrative subpoena (1225(d)(4)) alone",
        process=L.ADMINISTRATIVE_SUBPOENA,
        field="snap/address",
        expect=ALL_W,
    ),
    ice(
        name="ICE administrative warrant (I-200) compels no records",
        process=L.ADMINISTRATIVE_WARRANT,
        field="tanf/address",
        expect=ALL_W,
    ),
    ice(
        name="An immigration judge's order is administrative, not a court order",
        process=L.ADMINISTRATIVE_SUBPOENA,
        field="housing/address",
        scope=("housing",),
        expect=ALL_W,
    ),
    # Finding 3: 1373/1644 create no duty to share status.
    ice(
        name="ICE letter asking immigration status",
        process=L.WRITTEN_REQUEST,
        field="snap/immigration_status",
        expect=ALL_W,
    ),
    # A district court order enforcing a subpoena is a court order; it reaches what it names.
    ice(
        name="Court order naming housing status, civil immigration matter",
        process=L.COURT_ORDER,
        field="housing/immigration_status",
        scope=("housing/immigration_status",),
        expect=("DC", "DC", "W"),
    ),
    ice(
        name="Court order naming only the address: status lies outside its scope",
        process=L.COURT_ORDER,
        field="housing/immigration_status",
        scope=("housing/address",),
        expect=ALL_W,
    ),
    court(
        name="Court order for SNAP data: 2020(e)(8) has no court-order exception",
        field="snap/address",
        scope=("snap",),
        expect=ALL_W,
    ),
    court(
        name="Court order naming the TANF address",
        field="tanf/address",
        scope=("tanf/address",),
        expect=("DC", "DC", "W"),
    ),
    court(
        name="Court order naming the TANF address, person opted out",
        process=L.JUDICIAL_WARRANT,
        field="tanf/address",
        opted_out=True,
        scope=("tanf",),
        expect=("DC", "DC", "W"),
    ),
    court(
        name="Court order with no scope recorded yet",
        field="tanf/address",
        expect=ALL_W,
    ),
    court(
        name="Court order in a plan-fraud case naming diagnoses (164.512(e)(1)(i))",
        purpose=P.PROGRAM_VIOLATION_INVESTIGATION,
        field="medicaid/diagnoses",
        scope=("medicaid/diagnoses",),
        expect=("DC", "DC", "W"),
    ),
    court(
        name="Court order in a plan-fraud case not naming diagnoses",
        purpose=P.PROGRAM_VIOLATION_INVESTIGATION,
        field="medicaid/diagnoses",
        scope=("medicaid/full_name",),
        expect=ALL_W,
    ),
    ice(
        name="Judge's warrant for Medicaid data in a civil immigration matter",
        process=L.JUDICIAL_WARRANT,
        field="medicaid/address",
        scope=("medicaid",),
        expect=ALL_W,
    ),
    court(
        name="Expired court order",
        field="tanf/address",
        scope=("tanf",),
        expires_on=dt.date(2026, 5, 31),
        expect=ALL_W,
    ),
    court(
        name="Grand-jury subpoena: confidentiality asserted first",
        process=L.GRAND_JURY_SUBPOENA,
        field="tanf/address",
        expect=ALL_W,
    ),
    # 7 U.S.C. 2020(e)(8)(E): compelled on its terms, and only on them.
    felon(
        name="(E) address to police with all three statements",
        field="snap/address",
        expect=ALL_DC,
    ),
    felon(
        name="(E) SSN to police, person opted out",
        field="snap/ssn",
        opted_out=True,
        expect=ALL_DC,
    ),
    felon(
        name="(E) photograph to a state officer",
        kind=K.STATE,
        field="snap/photo",
        expect=ALL_DC,
    ),
    felon(
        name="(E) reaches no field but the three",
        field="snap/benefit_amount",
        expect=ALL_W,
    ),
    felon(
        name="(E) with only two statements",
        field="snap/address",
        statements=TWO,
        expect=ALL_W,
    ),
    felon(
        name="(E) for everyone matching a criterion, not a named person",
        field="snap/address",
        named=False,
        expect=ALL_W,
    ),
    felon(
        name="(E) is SNAP's: TANF address is not reached (608(a)(9)(B) unverified)",
        field="tanf/address",
        expect=ALL_W,
    ),
    felon(
        name="(E) by an immigration officer: compelled on its terms (legal review)",
        kind=K.FEDERAL_IMMIGRATION_ENFORCEMENT,
        field="snap/address",
        expect=ALL_DC,
    ),
    # 7 U.S.C. 2020(e)(8)(C) and 7 CFR 272.1(c).
    felon(
        name="(C) SNAP violation investigation, written request",
        purpose=P.PROGRAM_VIOLATION_INVESTIGATION,
        field="snap/benefit_amount",
        statements=FleeingFelonStatements(),
        expect=ALL_DC,
    ),
    investigation(
        name="(C) SNAP violation investigation, person opted out",
        kind=K.OTHER_FEDERAL,
        field="snap/household_members",
        opted_out=True,
        expect=ALL_DC,
    ),
    felon(
        name="(C) with no written request",
        purpose=P.PROGRAM_VIOLATION_INVESTIGATION,
        process=L.NONE,
        field="snap/address",
        statements=FleeingFelonStatements(),
        expect=ALL_W,
    ),
    felon(
        name="(C) reaches SNAP information only",
        purpose=P.PROGRAM_VIOLATION_INVESTIGATION,
        field="tanf/benefit_amount",
        statements=FleeingFelonStatements(),
        expect=ALL_W,
    ),
    # 42 U.S.C. 611a and 7 U.S.C. 2020(e)(15): "knows" = a formal determination on file.
    presence_report(
        name="611a TANF report, determination on file, opted out",
        field="tanf/address",
        opted_out=True,
        determination=True,
        expect=ALL_DC,
    ),
    presence_report(
        name="611a report without a determination (a SAVE no-record result)",
        field="tanf/address",
        expect=ALL_W,
    ),
    presence_report(
        name="611a reaches identifying information, not benefit amounts",
        field="tanf/benefit_amount",
        determination=True,
        expect=ALL_W,
    ),
    presence_report(
        name="(e)(15) report of an ineligibility determination",
        field="snap/immigration_status",
        determination=True,
        expect=ALL_DC,
    ),
    # 7 U.S.C. 2020(a)(3)(B): compelled only under agreed protocols.
    audit(
        name="USDA audit in bulk under agreed protocols, person opted out",
        kind=K.OTHER_FEDERAL,
        field="snap/benefit_amount",
        opted_out=True,
        agreement=PROTOCOLS,
        expect=ALL_DC,
    ),
    audit(
        name="Statewide USDA demand, agreement without agreed protocols (2025)",
        kind=K.OTHER_FEDERAL,
        field="snap/benefit_amount",
        agreement=NO_PROTOCOLS,
        expect=ALL_W,
    ),
    audit(
        name="USDA audit with no agreement",
        kind=K.OTHER_FEDERAL,
        field="snap/full_name",
        expect=ALL_W,
    ),
    audit(
        name="USDA audit asking a field its protocols do not cover",
        kind=K.OTHER_FEDERAL,
        field="snap/immigration_status",
        agreement=PROTOCOLS,
        expect=ALL_W,
    ),
    # 7 U.S.C. 2020(e)(8)(B): GAO audits are not blocked (permissive, not compelled).
    audit(
        name="GAO audit of SNAP amounts",
        kind=K.COMPTROLLER_GENERAL,
        field="snap/benefit_amount",
        expect=("D", "W", "D"),
    ),
    audit(
        name="GAO audit, person opted out of discretionary sharing",
        kind=K.COMPTROLLER_GENERAL,
        field="snap/benefit_amount",
        opted_out=True,
        named=True,
        expect=ALL_W,
    ),
    # Finding 6: program administration only for the requester's own program and needs.
    administration(
        name="State SNAP office administering SNAP: the address it needs",
        field="snap/address",
        requester_programs=(Program.SNAP,),
        expect=("D", "W", "D"),
    ),
    administration(
        name="SNAP office asking Medicaid data under program administration",
        field="medicaid/address",
        requester_programs=(Program.SNAP,),
        expect=ALL_W,
    ),
    administration(
        name="Program administration does not need immigration status",
        kind=K.OTHER_FEDERAL,
        field="snap/immigration_status",
        requester_programs=(Program.SNAP,),
        expect=ALL_W,
    ),
    administration(
        name="Medicaid administration does not need diagnoses from us",
        field="medicaid/diagnoses",
        requester_programs=(Program.MEDICAID,),
        expect=ALL_W,
    ),
    administration(
        name="Program administration, person opted out",
        field="snap/address",
        opted_out=True,
        requester_programs=(Program.SNAP,),
        expect=ALL_W,
    ),
    administration(
        name="Program administration by an agency running no program",
        kind=K.OTHER_FEDERAL,
        field="snap/address",
        expect=ALL_W,
    ),
    # 42 CFR 431.302: plan-related investigations, after review.
    administration(
        name="Medicaid Fraud Control Unit, plan-related investigation",
        purpose=P.PROGRAM_VIOLATION_INVESTIGATION,
        field="medicaid/diagnoses",
        requester_programs=(Program.MEDICAID,),
        expect=("D", "W", "D"),
    ),
    administration(
        name="Fraud unit asking immigration status",
        purpose=P.PROGRAM_VIOLATION_INVESTIGATION,
        field="medicaid/immigration_status",
        requester_programs=(Program.MEDICAID,),
        expect=ALL_W,
    ),
    # 45 CFR 164.512(j): emergencies, for Medicaid health and safety data.
    emergency(
        name="Emergency: Medicaid diagnoses to avert a serious threat",
        field="medicaid/diagnoses",
        expect=("D", "W", "D"),
    ),
    emergency(
        name="Emergency: benefit amounts are not health or safety data",
        field="medicaid/benefit_amount",
        expect=ALL_W,
    ),
    emergency(
        name="Emergency claimed for civil immigration enforcement",
        kind=K.FEDERAL_IMMIGRATION_ENFORCEMENT,
        purpose=P.CIVIL_IMMIGRATION_ENFORCEMENT,
        field="medicaid/address",
        expect=ALL_W,
    ),
    # A document's scope names people: nothing about anyone else, compelled or not.
    court(
        name="Court order naming the TANF address and this person",
        field="tanf/address",
        scope=("tanf/address",),
        scope_people=("name:ANA MARÍA LÓPEZ|1990-04-02", "case:2000000002"),
        subject="name:Ana Maria Lopez|1990-04-02",
        expect=("DC", "DC", "W"),
    ),
    court(
        name="Court order naming the TANF address of someone else",
        field="tanf/address",
        scope=("tanf/address",),
        scope_people=("case:2000000002",),
        expect=ALL_W,
    ),
    court(
        name="Court order naming the person by case number, request by SSN",
        field="tanf/address",
        scope=("tanf",),
        scope_people=("case:1000000001",),
        subject="ssn:123-45-6789",
        expect=ALL_W,
    ),
    court(
        name="Court order naming people, asked for everyone matching a criterion",
        field="tanf/address",
        scope=("tanf",),
        named=False,
        scope_people=("case:1000000001",),
        expect=ALL_W,
    ),
    felon(
        name="(E) request whose document names someone else: compelled goes no further",
        field="snap/address",
        scope=("snap",),
        scope_people=("ssn:987654321",),
        expect=ALL_W,
    ),
    felon(
        name="(E) request whose document names this person by SSN",
        field="snap/ssn",
        opted_out=True,
        scope=("snap",),
        scope_people=("ssn:987654321",),
        subject="ssn:987-65-4321",
        expect=ALL_DC,
    ),
    court(
        name="Preservation request under a court order: nothing is sent",
        field="tanf/address",
        scope=("tanf",),
        preservation=True,
        expect=ALL_W,
    ),
)


def identifier(spec: str) -> SubjectIdentifier:
    """`case:…`, `ssn:…` or `name:full name|birth date` as an identifier."""
    route, _, value = spec.partition(":")
    if route == "case":
        return SubjectIdentifier(case_number=value)
    if route == "ssn":
        return SubjectIdentifier(ssn=value)
    name, _, born = value.partition("|")
    return SubjectIdentifier(full_name=name, birth_date=dt.date.fromisoformat(born))


def _scope(names: tuple[str, ...] | None, people: tuple[str, ...] = ()) -> DocumentScope | None:
    if names is None:
        return None
    return DocumentScope(
        programs=frozenset(Program(n) for n in names if "/" not in n),
        fields=frozenset(FieldRef.parse(n) for n in names if "/" in n),
        people=frozenset(identifier(p) for p in people),
    )


def context_of(row: Row) -> DecisionContext:
    return DecisionContext(
        requester_kind=row.kind,
        purpose=row.purpose,
        legal_process=LegalProcess(
            kind=row.process,
            expires_on=row.expires_on,
            scope=_scope(row.scope, row.scope_people),
        ),
        statements=row.statements,
        fields=(FieldRef.parse(row.field),),
        named=row.named,
        agreement=row.agreement,
        emergency=row.emergency,
        preservation=row.preservation,
        today=TODAY,
        requester_programs=frozenset(row.requester_programs),
    )


def facts_of(row: Row) -> SubjectFacts:
    return SubjectFacts(
        programs=frozenset(row.programs),
        determination_on_file=row.determination,
        opted_out=row.opted_out,
    )


def subject_of(row: Row) -> Subject:
    """The person as the engine decides them: their facts, or outside the document's scope."""
    named = identifier(row.subject) if row.named else None
    return within_scope(context_of(row), named, facts_of(row))


@pytest.fixture(scope="module")
def packs() -> dict[str, Pack]:
    return {name: load_pack(POLICIES / name) for name in PACKS}


def test_the_table_is_large_enough() -> None:
    assert len(ROWS) >= 40
    assert len({r.name for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_each_pack_decides_as_the_law_says(row: Row, packs: dict[str, Pack]) -> None:
    got = []
    for name in PACKS:
        [[d]] = decide(packs[name], context_of(row), [subject_of(row)])
        got.append(("DC" if d.compelled else "D") if d.discloses else "W")
    assert tuple(got) == row.expect, dict(zip(PACKS, got, strict=True))


@pytest.mark.parametrize("row", [r for r in ROWS if "DC" in r.expect], ids=lambda r: r.name)
def test_a_compelled_disclosure_survives_an_opt_out(row: Row, packs: dict[str, Pack]) -> None:
    opted = dataclasses.replace(row, opted_out=True)
    for name, want in zip(PACKS, row.expect, strict=True):
        [[d]] = decide(packs[name], context_of(opted), [subject_of(opted)])
        assert d.discloses == (want == "DC"), name


OUTSIDE = [r for r in ROWS if subject_of(r) is OUTSIDE_SCOPE]


def test_some_rows_name_people_outside_the_scope() -> None:
    assert len(OUTSIDE) >= 3


@pytest.mark.parametrize("row", OUTSIDE, ids=lambda r: r.name)
def test_a_person_the_document_does_not_name_reads_like_a_no_match(
    row: Row, packs: dict[str, Pack]
) -> None:
    """Withheld as outside the scope, with the same reasons whether the records hold them."""
    ctx = context_of(row)
    for name in PACKS:
        [[d]] = decide(packs[name], ctx, [OUTSIDE_SCOPE])
        assert d.rule_ids[0] == "custos-outside-scope"
        assert "outside the document's scope" in d.reasons[0]
        [[matched]] = decide(packs[name], ctx, [within_scope(ctx, None, facts_of(row))])
        [[nobody]] = decide(packs[name], ctx, [within_scope(ctx, None, None)])
        assert matched == nobody == d
