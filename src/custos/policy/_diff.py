"""`custos policy diff`: where two packs decide differently, over a generated scenario space.

The space (see `_scenarios`) is requester kind × legal process × purpose × field × opt-out ×
determination on file. A difference is a different effect, compelled flag or review routing.
Rows that differ in the same way for several fields of the same program are folded into one.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from custos.domain.decisions import FieldDecision
from custos.policy._pack import Pack
from custos.policy._scenarios import Scenario, sweep
from custos.policy._words import decision_words


@dataclass(frozen=True, kw_only=True)
class DiffRow:
    requester_kind: str
    legal_process: str
    purpose: str
    program: str
    fields: tuple[str, ...]
    opted_out: bool
    determination_on_file: bool
    decision_a: str
    rules_a: tuple[str, ...]
    decision_b: str
    rules_b: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class DiffReport:
    pack_a: str
    pack_b: str
    hash_a: str
    hash_b: str
    scenarios: int
    differing: int
    rows: tuple[DiffRow, ...]
    #: Scenarios a compelled rule decides under either pack, and how many of them differ.
    compelled_scenarios: int = 0
    compelled_differing: int = 0

    def _table(self) -> tuple[list[str], list[list[str]]]:
        head = [
            "requester",
            "legal process",
            "purpose",
            "fields",
            "opted out",
            "determination",
            self.pack_a,
            self.pack_b,
        ]
        body = [
            [
                r.requester_kind,
                r.legal_process,
                r.purpose,
                ", ".join(r.fields),
                "yes" if r.opted_out else "no",
                "yes" if r.determination_on_file else "no",
                f"{r.decision_a} — {', '.join(r.rules_a)}",
                f"{r.decision_b} — {', '.join(r.rules_b)}",
            ]
            for r in self.rows
        ]
        return head, body

    def summary(self) -> str:
        return (
            f"{self.pack_a} vs {self.pack_b}: {self.differing} of {self.scenarios} scenarios "
            f"decided differently ({len(self.rows)} rows); {self.compelled_line()}"
        )

    def compelled_line(self) -> str:
        """Whether the disclosures the law compels are decided alike under both packs."""
        if self.compelled_differing == 0:
            return (
                f"every one of the {self.compelled_scenarios} scenarios a compelled rule decides "
                "is decided the same way"
            )
        return (
            f"{self.compelled_differing} of the {self.compelled_scenarios} scenarios a compelled "
            "rule decides are decided differently"
        )

    def to_markdown(self) -> str:
        head, body = self._table()
        lines = [
            f"# Policy diff: {self.pack_a} vs {self.pack_b}",
            "",
            self.summary() + ".",
            "",
            f"Pack hashes: `{self.hash_a[:12]}` vs `{self.hash_b[:12]}`.",
            "",
            "| " + " | ".join(head) + " |",
            "|" + "---|" * len(head),
        ]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        head, body = self._table()
        e = html.escape
        rows = "\n".join(
            "<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in body
        )
        return (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>Policy diff: {e(self.pack_a)} vs {e(self.pack_b)}</title>"
            "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
            "td,th{border:1px solid #999;padding:4px;vertical-align:top}</style></head><body>\n"
            f"<h1>Policy diff: {e(self.pack_a)} vs {e(self.pack_b)}</h1>\n"
            f"<p>{e(self.summary())}.</p>\n<table>\n<thead><tr>"
            + "".join(f"<th>{e(h)}</th>" for h in head)
            + f"</tr></thead>\n<tbody>\n{rows}\n</tbody></table>\n</body></html>\n"
        )


def _key(d: FieldDecision) -> tuple[str, bool, bool]:
    return (d.effect.value, d.compelled, d.needs_review)


def diff(pack_a: Pack, pack_b: Pack) -> DiffReport:
    """Decide the scenario space under both packs and report every difference."""
    refs = set(pack_a.catalogue) | set(pack_b.catalogue)
    a = sweep(pack_a, refs)
    b = sweep(pack_b, refs)
    groups: dict[tuple[object, ...], list[Scenario]] = {}
    differing = compelled = compelled_differing = 0
    for scenario in sorted(a):
        da, db = a[scenario], b[scenario]
        compelled += da.compelled or db.compelled
        if _key(da) == _key(db):
            continue
        differing += 1
        compelled_differing += da.compelled or db.compelled
        key = (
            scenario.requester_kind.value,
            scenario.legal_process.value,
            scenario.purpose.value,
            scenario.program.value,
            scenario.opted_out,
            scenario.determination_on_file,
            decision_words(da),
            da.rule_ids,
            decision_words(db),
            db.rule_ids,
        )
        groups.setdefault(key, []).append(scenario)
    rows = tuple(
        DiffRow(
            requester_kind=str(k[0]),
            legal_process=str(k[1]),
            purpose=str(k[2]),
            program=str(k[3]),
            fields=tuple(str(s.field) for s in members),
            opted_out=bool(k[4]),
            determination_on_file=bool(k[5]),
            decision_a=str(k[6]),
            rules_a=tuple(a[members[0]].rule_ids),
            decision_b=str(k[8]),
            rules_b=tuple(b[members[0]].rule_ids),
        )
        for k, members in groups.items()
    )
    return DiffReport(
        pack_a=pack_a.label,
        pack_b=pack_b.label,
        hash_a=pack_a.content_hash,
        hash_b=pack_b.content_hash,
        scenarios=len(a),
        differing=differing,
        rows=rows,
        compelled_scenarios=compelled,
        compelled_differing=compelled_differing,
    )
