"""The authorities a rule may cite, read from `authorities.toml` (data, not code).

The table mirrors the project's legal notes: only authorities whose status is "text" or
"secondary" may be cited; the "unverified" ones are rejected by name so that `policy check`
can say why. Nothing here is legal advice.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Authority:
    """One citable authority and how well its text is known."""

    citation: str
    #: "text" (the statute's own text was read) or "secondary" (a manual, a summary).
    status: str
    title: str
    title_es: str
    #: The text says the information "shall be made available" (or must be reported): a
    #: disclose permit citing it must be marked compelled.
    compels: bool = False


@dataclass(frozen=True, kw_only=True)
class CompelledDuty:
    """A scenario in which a federal statute compels disclosure; `check` probes each pack."""

    citation: str
    description: str
    requester_kind: str
    purpose: str
    legal_process: str
    named: bool
    fields: tuple[str, ...]
    programs: frozenset[str]
    determination_on_file: bool
    opted_out: bool
    #: The requester makes the three statements of 7 U.S.C. 2020(e)(8)(E).
    statements: bool = False
    #: An agreement with agreed data and security protocols covers the fields.
    agreed_protocols: bool = False


@dataclass(frozen=True, kw_only=True)
class AuthorityTable:
    known: dict[str, Authority]
    rejected: dict[str, str]
    compelled_duties: tuple[CompelledDuty, ...]

    def problem(self, citation: str) -> str | None:
        """Why a citation may not be used, or None when it may."""
        if citation in self.known:
            return None
        if citation in self.rejected:
            return f"citation {citation!r} is {self.rejected[citation]}"
        return (
            f"citation {citation!r} is not in the list of known authorities "
            "(src/custos/policy/authorities.toml); cite only authorities from the legal notes"
        )


def _duty(raw: dict[str, Any]) -> CompelledDuty:
    subject = raw["subject"]
    return CompelledDuty(
        citation=str(raw["citation"]),
        description=str(raw["description"]),
        requester_kind=str(raw["requester_kind"]),
        purpose=str(raw["purpose"]),
        legal_process=str(raw["legal_process"]),
        named=bool(raw["named"]),
        fields=tuple(str(f) for f in raw["fields"]),
        programs=frozenset(str(p) for p in subject["programs"]),
        determination_on_file=bool(subject["determination_on_file"]),
        opted_out=bool(subject["opted_out"]),
        statements=bool(raw.get("statements", False)),
        agreed_protocols=bool(raw.get("agreed_protocols", False)),
    )


@cache
def authorities() -> AuthorityTable:
    """The table, parsed once per process."""
    text = resources.files("custos.policy").joinpath("authorities.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    known = {
        str(a["citation"]): Authority(
            citation=str(a["citation"]),
            status=str(a["status"]),
            title=str(a["title"]),
            title_es=str(a["title_es"]),
            compels=bool(a.get("compels", False)),
        )
        for a in raw.get("authority", [])
    }
    rejected = {str(r["citation"]): str(r["reason"]) for r in raw.get("rejected", [])}
    duties = tuple(_duty(d) for d in raw.get("compelled_duty", []))
    return AuthorityTable(known=known, rejected=rejected, compelled_duties=duties)


def split_citations(value: str) -> tuple[str, ...]:
    """`@citation("A; B")` names several authorities, separated by semicolons."""
    return tuple(part.strip() for part in value.split(";") if part.strip())
