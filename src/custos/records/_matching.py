"""Finding the people a request is about — exactly, and no further.

A requester learns nothing from a miss: zero matches and several matches both return None,
which the workflow answers exactly as it answers a denial ("neither confirm nor deny"). There
is no fuzzy, partial or prefix matching, because a search that finds near-misses would help
locate people beyond what a lawful request compels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from custos.domain.disclosure import BulkCriterion
from custos.domain.errors import InvalidInputError
from custos.domain.subjects import SubjectFacts, SubjectIdentifier, normalize_name, normalize_ssn
from custos.records._geography import canonical_county
from custos.store.core import Prepared, run
from custos.store.tables import Enrolment, Household, Person

#: Ids per IN (...) list: under SQLite's and psycopg's parameter limits with room to spare.
_IN_CHUNK = 900

# The statements every single-person request runs, built once: building a statement and its
# cache key each call cost more than running it (issue 18's profile of the submit path).
_BY_SSN = Prepared(select(Person.id).where(Person.ssn == bindparam("value")).limit(2))
_BY_CASE_NUMBER = Prepared(select(Person.id).where(Person.dcn == bindparam("value")).limit(2))
#: An enrolment active on the day bound as "day": started on or before it, not yet ended.
_ACTIVE_ON_DAY = and_(
    Enrolment.start_date <= bindparam("day"),
    or_(Enrolment.end_date.is_(None), Enrolment.end_date > bindparam("day")),
)
_FLAGS = select(Person.id, Person.determination_on_file, Person.opted_out).where(
    Person.id.in_(bindparam("ids", expanding=True))
)
_PROGRAMS = (
    select(Enrolment.person_id, Enrolment.program)
    .where(Enrolment.person_id.in_(bindparam("ids", expanding=True)), _ACTIVE_ON_DAY)
    .distinct()
)
#: One person's flags and active programs in one round trip (a row per program, or one row
#: with no program): what a single-person request reads.
_ONE_PERSON = Prepared(
    select(Person.determination_on_file, Person.opted_out, Enrolment.program)
    .outerjoin(Enrolment, and_(Enrolment.person_id == Person.id, _ACTIVE_ON_DAY))
    .where(Person.id == bindparam("id"))
)


def match(session: Session, identifier: SubjectIdentifier) -> str | None:
    """The id of the one person `identifier` names, or None for no match or an ambiguous one.

    Routes (exactly one per identifier, see `SubjectIdentifier`): the case number is the
    person's departmental client number (DCN), compared exactly after trimming spaces; the SSN
    is compared as nine digits; the full name is compared after `normalize_name` together with
    the exact birth date.
    """
    if identifier.case_number is not None:
        found = _BY_CASE_NUMBER.all(session, {"value": identifier.case_number.strip()})
    elif identifier.ssn is not None:
        found = _BY_SSN.all(session, {"value": normalize_ssn(identifier.ssn)})
    elif identifier.full_name is not None and identifier.birth_date is not None:
        query: Select[str] = select(Person.id).where(
            Person.name_norm == normalize_name(identifier.full_name),
            Person.birth_date == identifier.birth_date,
        )
        found = [(pid,) for pid in run(session, query.limit(2)).scalars()]
    else:  # pragma: no cover - SubjectIdentifier refuses to be built this way
        return None
    return found[0][0] if len(found) == 1 else None


def _active(on: dt.date) -> ColumnElement[bool]:
    return and_(
        Enrolment.start_date <= on,
        or_(Enrolment.end_date.is_(None), Enrolment.end_date > on),
    )


def facts_for(
    session: Session, person_ids: Iterable[str], *, on: dt.date | None = None
) -> dict[str, SubjectFacts]:
    """The policy-relevant facts of each known person; unknown ids are left out.

    `programs` holds the programs with an enrolment active on `on` (default: today, UTC):
    started on or before that day and not yet ended.
    """
    day = on or dt.datetime.now(dt.UTC).date()
    ids = list(dict.fromkeys(person_ids))
    if len(ids) == 1:
        return _one_persons_facts(session, ids[0], day)
    programs: dict[str, set[str]] = {}
    flags: dict[str, tuple[bool, bool]] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        for pid, determination, opted_out in run(session, _FLAGS, {"ids": chunk}):
            flags[pid] = (bool(determination), bool(opted_out))
            programs.setdefault(pid, set())
        for pid, program in run(session, _PROGRAMS, {"ids": chunk, "day": day}):
            programs.setdefault(pid, set()).add(program)
    return {
        pid: SubjectFacts(
            programs=frozenset(programs[pid]),
            determination_on_file=determination,
            opted_out=opted_out,
        )
        for pid, (determination, opted_out) in flags.items()
    }


def _one_persons_facts(session: Session, person_id: str, day: dt.date) -> dict[str, SubjectFacts]:
    rows = _ONE_PERSON.all(session, {"id": person_id, "day": day})
    if not rows:
        return {}
    determination, opted_out, _ = rows[0]
    return {
        person_id: SubjectFacts(
            programs=frozenset(program for _, _, program in rows if program is not None),
            determination_on_file=bool(determination),
            opted_out=bool(opted_out),
        )
    }


def resolve_counties(counties: Iterable[str]) -> frozenset[str]:
    """Stored spellings of the given county names; unknown names are an error, not ignored.

    Failing closed matters here: silently dropping an unknown county could turn a one-county
    criterion into an empty filter, which means statewide.
    """
    resolved: set[str] = set()
    unknown: list[str] = []
    for name in counties:
        canonical = canonical_county(name)
        if canonical is None:
            unknown.append(name)
        else:
            resolved.add(canonical)
    if unknown:
        raise InvalidInputError(
            "unknown Missouri county in the criterion: "
            + ", ".join(sorted(unknown))
            + " (write 'St. Louis County' or 'St. Louis City' for St. Louis)"
        )
    return frozenset(resolved)


def select_bulk_chunks(
    session: Session,
    criterion: BulkCriterion,
    *,
    on: dt.date | None = None,
    chunk_size: int = 10_000,
) -> Iterator[list[str]]:
    """Ids of everyone with an active enrolment in one of the criterion's programs (and, when
    counties are given, living in one of them), in id order, `chunk_size` ids at a time.

    Keyset pagination (id > last id seen) keeps each query short and memory bounded, so a
    statewide criterion over a million people streams instead of materializing.
    """
    if not criterion.programs:
        raise InvalidInputError("a bulk criterion names at least one program")
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    day = on or dt.datetime.now(dt.UTC).date()
    counties = resolve_counties(criterion.counties)
    enrolled = exists().where(
        Enrolment.person_id == Person.id,
        Enrolment.program.in_(sorted(p.value for p in criterion.programs)),
        _active(day),
    )
    base = select(Person.id).where(enrolled)
    if counties:
        base = base.where(
            Person.household_id.in_(
                select(Household.id).where(Household.county.in_(sorted(counties)))
            )
        )
    last: str | None = None
    while True:
        page = base if last is None else base.where(Person.id > last)
        ids = list(session.execute(page.order_by(Person.id).limit(chunk_size)).scalars())
        if not ids:
            return
        yield ids
        if len(ids) < chunk_size:
            return
        last = ids[-1]


def select_bulk_facts(
    session: Session,
    criterion: BulkCriterion,
    *,
    on: dt.date | None = None,
    chunk_size: int = 50_000,
) -> Iterator[list[tuple[str, SubjectFacts]]]:
    """Everyone the criterion selects with their facts, in id order, a chunk at a time.

    The same people as `select_bulk_chunks`, each paired with what `facts_for` would say, but
    read in one ordered pass per chunk instead of two lookups per 900 ids: a statewide bulk
    request over a million people costs a few seconds, not minutes. Equal facts are one
    shared object, so callers can group people by them cheaply.
    """
    day = on or dt.datetime.now(dt.UTC).date()
    shared: dict[tuple[frozenset[str], bool, bool], SubjectFacts] = {}
    for ids in select_bulk_chunks(session, criterion, on=on, chunk_size=chunk_size):
        lo, hi = ids[0], ids[-1]
        flags = {
            pid: (bool(det), bool(opt))
            for pid, det, opt in session.execute(
                select(Person.id, Person.determination_on_file, Person.opted_out).where(
                    Person.id >= lo, Person.id <= hi
                )
            )
        }
        programs: dict[str, set[str]] = {}
        for pid, program in session.execute(
            select(Enrolment.person_id, Enrolment.program).where(
                Enrolment.person_id >= lo, Enrolment.person_id <= hi, _active(day)
            )
        ):
            programs.setdefault(pid, set()).add(program)
        chunk: list[tuple[str, SubjectFacts]] = []
        for pid in ids:
            det, opt = flags[pid]
            key = (frozenset(programs.get(pid, ())), det, opt)
            facts = shared.get(key)
            if facts is None:
                facts = shared[key] = SubjectFacts(
                    programs=key[0], determination_on_file=det, opted_out=opt
                )
            chunk.append((pid, facts))
        yield chunk


def select_bulk(
    session: Session, criterion: BulkCriterion, *, on: dt.date | None = None
) -> Iterator[str]:
    """Ids of everyone the criterion selects, one at a time (see `select_bulk_chunks`)."""
    for chunk in select_bulk_chunks(session, criterion, on=on):
        yield from chunk
