"""What a pack could permit for each purpose: the requester form's hint, before a request exists.

A requester choosing fields should know, per purpose, which fields the rules in force could
ever give them, and under which legal process, instead of learning it from a denial. The
answer is computed from the pack itself (so it cannot drift from the rules), by deciding
the most favourable requests of that purpose: every legal process (a judicial one naming
every program), with and without an agreement covering every field, the three fleeing-felon
statements when the purpose is fleeing-felon, for a person enrolled in every program with
and without a determination on file, and not opted out. A field no such request discloses
is withheld whatever the requester writes. It is an upper bound, not a promise: a real
request is still decided on its own facts and reviewed by people.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping

from custos.domain.decisions import Effect
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.legal import LegalProcessKind
from custos.domain.programs import FieldRef, Program
from custos.domain.subjects import SubjectFacts
from custos.policy._engine import AgreementFacts, decide_classes
from custos.policy._pack import Pack
from custos.policy._scenarios import scenario_context

#: Per purpose, each field some request of that purpose could be given, with the legal
#: processes under which it could.
PurposeHints = Mapping[Purpose, Mapping[FieldRef, frozenset[LegalProcessKind]]]


def _agreement(refs: tuple[FieldRef, ...]) -> AgreementFacts:
    return AgreementFacts(
        programs=frozenset(Program),
        fields=frozenset(refs),
        purposes=frozenset(Purpose),
        agreement_id="hint",
        protocol_document="agreed data and security protocols",
        use_limited_to_program=True,
        no_onward_sharing=True,
    )


def permitted_fields(
    pack: Pack,
    *,
    requester_kind: RequesterKind,
    requester_programs: frozenset[Program],
    purposes: tuple[Purpose, ...] = tuple(Purpose),
) -> PurposeHints:
    """For each of `purposes`, the fields `pack` could disclose (or generalize) to a
    requester of this kind running these programs, each with the legal processes that could
    allow it. One purpose costs some 1,400 Cedar evaluations: ask only for those needed."""
    refs = tuple(sorted(pack.catalogue))
    everywhere = frozenset(p.value for p in Program)
    people = [
        SubjectFacts(programs=everywhere, determination_on_file=det, opted_out=False)
        for det in (False, True)
    ]
    out: dict[Purpose, dict[FieldRef, frozenset[LegalProcessKind]]] = {}
    for purpose, process in itertools.product(purposes, LegalProcessKind):
        base = scenario_context(requester_kind, process, purpose, refs)
        base = dataclasses.replace(base, requester_programs=requester_programs)
        found = out.setdefault(purpose, {})
        for agreement in (None, _agreement(refs)):
            context = dataclasses.replace(base, agreement=agreement)
            table = decide_classes(pack, context, people, validate_requests=False, review=False)
            for row in table.values():
                for d in row:
                    if d.effect is not Effect.WITHHOLD:
                        found[d.field] = found.get(d.field, frozenset()) | {process}
    return out


__all__ = ["PurposeHints", "permitted_fields"]
