"""Policy packs: a folder of Cedar policies plus the data that gives them meaning.

A pack is data reviewed by counsel, not code. Loading one checks everything that can be checked
without running its test cases: the metadata, the field catalogue, the Cedar syntax, the Cedar
schema (every policy is validated against it), every rule's annotations, and every citation
against the known authorities. A pack that fails any of these is not loaded, so nothing can be
decided under it (fail closed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import cedarpy

from custos.domain.disclosure import Purpose
from custos.domain.errors import PolicyError
from custos.domain.programs import FieldRef, FieldSpec, Program, Sensitivity
from custos.policy._authorities import authorities
from custos.policy._memo import AnswerMemo
from custos.policy._rules import (
    ACTIONS,
    DISCLOSE,
    KNOWN_ANNOTATIONS,
    MAX_WINDOW_DAYS,
    REQUESTER_ID,
    REQUIRED_ANNOTATIONS,
    REVIEW,
    RULE_ID,
    Rule,
    rules_of,
)

__all__ = [
    "ACTIONS",
    "DISCLOSE",
    "KNOWN_ANNOTATIONS",
    "REQUESTER_ID",
    "REQUIRED_ANNOTATIONS",
    "REVIEW",
    "DefaultDeny",
    "Pack",
    "PackInvalidError",
    "Rule",
    "content_hash",
    "load_pack",
]

_PACK_FILES = ("pack.toml", "catalogue.toml", "schema.cedarschema")
_HEADER_KEYS = (
    "name",
    "jurisdiction",
    "version",
    "counsel_review_note",
    "effective_date",
    "default_retention_days",
)


class PackInvalidError(PolicyError):
    """A pack is broken; `problems` lists every problem found, one sentence each."""

    kind = "policy-pack-invalid"

    def __init__(self, path_name: str, problems: list[str]) -> None:
        super().__init__(f"policy pack {path_name!r} is broken ({len(problems)} problem(s))")
        self.problems = list(problems)

    def diagnostics(self) -> str:
        return "\n".join([str(self), *(f"  - {p}" for p in self.problems)])


@dataclass(frozen=True, kw_only=True)
class DefaultDeny:
    """What a withheld field says when no rule permits it (Cedar's implicit deny)."""

    rule_id: str
    summary: str
    citations: tuple[str, ...]
    program_citations: Mapping[Program, tuple[str, ...]]

    summary_es: str = ""

    def citations_for(self, program: Program) -> tuple[str, ...]:
        return self.program_citations.get(program, ()) + self.citations


@dataclass(frozen=True, kw_only=True, eq=False)
class Pack:
    """A loaded, validated pack. Immutable; compare packs by `content_hash`."""

    name: str
    version: str
    jurisdiction: str
    effective_date: dt.date
    default_retention_days: int
    #: SHA-256 (hex) over every file of the pack folder, by relative path: stored with each
    #: decision so anyone can tell which exact rules decided it.
    content_hash: str
    catalogue: Mapping[FieldRef, FieldSpec]
    counsel_review_note: str
    #: The counsel note in Spanish, for the public page; empty when the pack gives none.
    counsel_review_note_es: str = field(repr=False)
    #: Per purpose, the catalogue fields it needs (`[needs.<purpose>]` in catalogue.toml).
    needs: Mapping[Purpose, frozenset[FieldRef]] = field(repr=False)
    rules: Mapping[str, Rule] = field(repr=False)
    default_deny: DefaultDeny = field(repr=False)
    policy_text: str = field(repr=False)
    schema_text: str = field(repr=False)
    path: Path = field(repr=False)
    #: Cedar handles, parsed once (see the cedarpy notes: re-parsing dominates a call).
    cedar_policies: Any = field(repr=False)
    cedar_schema: Any = field(repr=False)
    cedar_entities: Any = field(repr=False)
    #: Days a person told before disclosure has to challenge, from their letter
    #: (`challenge_window_days` in pack.toml); None leaves the rights default. A rule may set
    #: its own (`@challenge_window_days`).
    challenge_window_days: int | None = None
    #: Cedar's answers under exactly these policies (`custos.policy._memo`). Not an init
    #: field, so a pack derived with `dataclasses.replace` (other policies) starts empty.
    answers: AnswerMemo = field(default_factory=AnswerMemo, init=False, repr=False)
    #: Whole decisions per request context and class of facts under this pack (the same
    #: memo, one level up: `custos.policy._engine.decide_classes`); a few kilobytes an entry,
    #: so a few tens of megabytes at most.
    decisions: AnswerMemo = field(default_factory=AnswerMemo, init=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def rule(self, rule_id: str) -> Rule:
        return self.rules[rule_id]


def content_hash(path: Path) -> str:
    """SHA-256 over the pack's files: relative path and content digest of each, sorted.

    Hidden files and caches are skipped so that the hash depends on the pack alone.
    """
    outer = hashlib.sha256(b"custos-pack-v1\n")
    for file in sorted(_pack_files(path), key=lambda p: p.relative_to(path).as_posix()):
        rel = file.relative_to(path).as_posix()
        outer.update(rel.encode("utf-8") + b"\0")
        outer.update(hashlib.sha256(file.read_bytes()).digest())
    return outer.hexdigest()


def _pack_files(path: Path) -> Iterator[Path]:
    for file in path.rglob("*"):
        rel = file.relative_to(path).parts
        if any(p.startswith(".") or p == "__pycache__" for p in rel):
            continue
        if file.is_file():
            yield file


def load_pack(path: Path) -> Pack:
    """Load and validate the pack in folder `path`.

    Raises PackInvalidError (a PolicyError) listing every problem found when the pack is
    unreadable or invalid; nothing can then be decided under it.
    """
    problems: list[str] = []
    pack = _read(Path(path), problems)
    if pack is None or problems:
        raise PackInvalidError(Path(path).name, problems or ["the pack could not be read"])
    return pack


def _read(path: Path, problems: list[str]) -> Pack | None:
    if not path.is_dir():
        problems.append(f"{path.name}: no such pack folder")
        return None
    problems.extend(f"{name} is missing" for name in _PACK_FILES if not (path / name).is_file())
    policy_files = sorted((path / "policies").glob("*.cedar"))
    if not policy_files:
        problems.append("policies/ holds no .cedar file: an empty rule set is refused")
    meta = None if problems else _toml(path / "pack.toml", problems)
    cat = None if problems else _toml(path / "catalogue.toml", problems)
    if meta is None or cat is None:
        return None
    header = _metadata(meta, problems)
    catalogue = _catalogue(cat, problems)
    needs = _needs(cat, catalogue, problems)
    default_deny = _default_deny(meta, problems)
    schema_text = (path / "schema.cedarschema").read_text("utf-8")
    try:
        schema = cedarpy.Schema.from_str(schema_text)
    except ValueError as exc:
        problems.append(f"schema.cedarschema does not parse: {exc}")
        return None
    rules: dict[str, Rule] = {}
    texts: list[str] = []
    for file in policy_files:
        texts.append(file.read_text("utf-8"))
        rules_of(file.name, texts[-1], catalogue, rules, problems)
    policy_text = "\n".join(texts)
    policies = None if problems else _policy_set(policy_text, schema, problems)
    entities = _entities(catalogue, schema, problems)
    if problems or header is None or default_deny is None or policies is None:
        return None
    return Pack(
        **header,
        content_hash=content_hash(path),
        catalogue=MappingProxyType(catalogue),
        needs=MappingProxyType(needs),
        rules=MappingProxyType(rules),
        default_deny=default_deny,
        policy_text=policy_text,
        schema_text=schema_text,
        path=path,
        cedar_policies=policies,
        cedar_schema=schema,
        cedar_entities=entities,
    )


def _policy_set(policy_text: str, schema: Any, problems: list[str]) -> Any:
    """Parse the rules and validate them against the schema; None when either fails."""
    try:
        policies = cedarpy.PolicySet.from_str(policy_text)
    except ValueError as exc:
        problems.append(f"the policies do not parse: {exc}")
        return None
    validation = cedarpy.validate_policies(policy_text, schema)
    if not validation.validation_passed:
        ids = validation.id_annotations_by_policy_id
        for err in validation.errors:
            where = ids.get(err.policy_id, err.policy_id) or "policies"
            problems.append(f"rule {where} fails schema validation: {err.error}")
        return None
    return policies


def _toml(file: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        return tomllib.loads(file.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(f"{file.name} is not valid TOML: {exc}")
        return None


def _metadata(meta: dict[str, Any], problems: list[str]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for key in ("name", "jurisdiction", "version", "counsel_review_note"):
        value = meta.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"pack.toml: {key} is missing or empty")
        else:
            out[key] = value.strip()
    note = out.get("counsel_review_note", "")
    if note and "counsel" not in note.lower():
        problems.append("pack.toml: counsel_review_note must say that counsel reviews the pack")
    effective = meta.get("effective_date")
    if not isinstance(effective, dt.date) or isinstance(effective, dt.datetime):
        problems.append("pack.toml: effective_date must be a date (YYYY-MM-DD)")
    else:
        out["effective_date"] = effective
    retention = meta.get("default_retention_days")
    if not isinstance(retention, int) or isinstance(retention, bool) or retention <= 0:
        problems.append("pack.toml: default_retention_days must be a positive whole number")
    else:
        out["default_retention_days"] = retention
    if len(out) != len(_HEADER_KEYS):
        return None
    out["counsel_review_note_es"] = str(meta.get("counsel_review_note_es", "")).strip()
    window = meta.get("challenge_window_days")
    if window is not None:
        if not _window_days_ok(window):
            problems.append(f"pack.toml: challenge_window_days must be {WINDOW_DAYS_TEXT}")
            return None
        out["challenge_window_days"] = window
    return out


#: The challenge windows a pack or a rule may set: at least a day, at most a year.
WINDOW_DAYS_TEXT = "a whole number of days from 1 to 365"


def _window_days_ok(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_WINDOW_DAYS


def _default_deny(meta: dict[str, Any], problems: list[str]) -> DefaultDeny | None:
    raw = meta.get("default_deny")
    if not isinstance(raw, dict):
        problems.append("pack.toml: [default_deny] is missing (rule_id, summary, citations)")
        return None
    table = authorities()
    rule_id = str(raw.get("rule_id", ""))
    summary = str(raw.get("summary", ""))
    if not RULE_ID.match(rule_id):
        problems.append("pack.toml: default_deny.rule_id is missing or malformed")
    if not summary.strip():
        problems.append("pack.toml: default_deny.summary is missing")
    citations = tuple(str(c) for c in raw.get("citations", []))
    per_program: dict[Program, tuple[str, ...]] = {}
    for name, cites in dict(raw.get("programs", {})).items():
        try:
            per_program[Program(name)] = tuple(str(c) for c in cites)
        except ValueError:
            problems.append(f"pack.toml: default_deny.programs names unknown program {name!r}")
    every = citations + tuple(c for cs in per_program.values() for c in cs)
    problems.extend(
        f"pack.toml: default_deny: {why}" for why in map(table.problem, every) if why is not None
    )
    return DefaultDeny(
        rule_id=rule_id,
        summary=summary,
        citations=citations,
        program_citations=MappingProxyType(per_program),
        summary_es=str(raw.get("summary_es", "")),
    )


def _catalogue(raw: dict[str, Any], problems: list[str]) -> dict[FieldRef, FieldSpec]:
    out: dict[FieldRef, FieldSpec] = {}
    entries = raw.get("field", [])
    if not entries:
        problems.append("catalogue.toml lists no [[field]]")
    for i, entry in enumerate(entries, start=1):
        try:
            ref = FieldRef.parse(str(entry["ref"]))
            spec = FieldSpec(
                ref=ref,
                sensitivity=Sensitivity(str(entry["sensitivity"])),
                label=str(entry["label"]),
                column=str(entry["column"]),
            )
        except (KeyError, ValueError) as exc:
            problems.append(f"catalogue.toml: field #{i} is malformed ({exc})")
            continue
        if ref in out:
            problems.append(f"catalogue.toml: {ref} is listed twice")
        out[ref] = spec
    return out


def _needs(
    raw: dict[str, Any], catalogue: Mapping[FieldRef, FieldSpec], problems: list[str]
) -> dict[Purpose, frozenset[FieldRef]]:
    """`[needs.<purpose>]`: per program, the fields that purpose needs (data minimization).

    A rule reads `context.field_needed` to give a purpose only the fields listed for it; a
    purpose with no list needs nothing.
    """
    out: dict[Purpose, frozenset[FieldRef]] = {}
    for purpose_name, per_program in dict(raw.get("needs", {})).items():
        try:
            purpose = Purpose(purpose_name)
            refs = {
                FieldRef(program=Program(program), name=str(name))
                for program, names in dict(per_program).items()
                for name in names
            }
        except (TypeError, ValueError) as exc:
            problems.append(f"catalogue.toml: [needs.{purpose_name}] is malformed ({exc})")
            continue
        problems.extend(
            f"catalogue.toml: [needs.{purpose_name}] names {ref}, which is not in the catalogue"
            for ref in sorted(refs)
            if ref not in catalogue
        )
        out[purpose] = frozenset(refs)
    return out


def _entities(catalogue: Mapping[FieldRef, FieldSpec], schema: Any, problems: list[str]) -> Any:
    docs: list[dict[str, Any]] = [
        {"uid": {"type": "Requester", "id": REQUESTER_ID}, "attrs": {}, "parents": []}
    ]
    docs += [
        {
            "uid": {"type": "Field", "id": str(ref)},
            "attrs": {
                "program": ref.program.value,
                "name": ref.name,
                "sensitivity": spec.sensitivity.value,
            },
            "parents": [],
        }
        for ref, spec in catalogue.items()
    ]
    try:
        return cedarpy.Entities.from_json_str(json.dumps(docs), schema)
    except ValueError as exc:
        problems.append(f"the field catalogue does not fit the schema: {exc}")
        return None
