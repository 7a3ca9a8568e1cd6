"""A pack's rules: reading each Cedar policy's annotations and checking them at load time.

Cedar's responses name only positional ids and `@id`; the other annotations are read here from
the policy JSON, once, so that each decision can carry its citations and obligations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import cedarpy

from custos.domain.decisions import Notify
from custos.domain.disclosure import Purpose, RequesterKind
from custos.domain.legal import LegalProcessKind
from custos.domain.programs import FieldRef, FieldSpec, Program, Sensitivity
from custos.policy._authorities import authorities, split_citations

#: The two actions of the shared schema.
DISCLOSE = "disclose"
REVIEW = "route_to_review"
ACTIONS = frozenset({DISCLOSE, REVIEW})

#: The id of the fixed principal entity; who asks is in the context.
REQUESTER_ID = "requester"

#: Annotations a rule may carry, and the ones it must.
KNOWN_ANNOTATIONS = frozenset(
    {
        "id",
        "citation",
        "summary",
        "summary_es",
        "compelled",
        "generalize",
        "notify",
        "challenge_window_days",
        "notice_delay_requires",
        "retention_days",
        "no_onward_sharing",
    }
)
REQUIRED_ANNOTATIONS = ("id", "citation", "summary")
#: The longest challenge window a pack or a rule may set (a typo of 1400 would hold releases
#: for years); the shortest is a day.
MAX_WINDOW_DAYS = 365

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One Cedar policy of a pack with its annotations, read once at load time.

    `compelled` marks a disclosure the law requires ("shall be made available"): an opt-out
    never blocks it, and the decision, the accounting and the public page say so.
    """

    id: str
    effect: str  # "permit" or "forbid"
    action: str  # DISCLOSE or REVIEW
    citations: tuple[str, ...]
    summary: str
    summary_es: str = ""
    compelled: bool = False
    generalize: str | None = None
    notify: Notify | None = None
    #: Days a person told before disclosure has to challenge, when this rule sets its own.
    challenge_window_days: int | None = None
    notice_delay_requires: str | None = None
    retention_days: int | None = None
    no_onward_sharing: bool | None = None
    source: str = ""
    #: The rule reads `context.agreement.protocols_agreed`: its disclosures name the agreement
    #: and its protocol document.
    requires_protocols: bool = False

    @property
    def routes_to_review(self) -> bool:
        return self.action == REVIEW


def rules_of(
    source: str,
    text: str,
    catalogue: Mapping[FieldRef, FieldSpec],
    rules: dict[str, Rule],
    problems: list[str],
) -> None:
    """Read every policy of one `.cedar` file into `rules`, appending each problem found."""
    try:
        parsed = json.loads(cedarpy.policies_to_json_str(text))
    except ValueError as exc:
        problems.append(f"policies/{source} does not parse: {exc}")
        return
    if parsed.get("templates"):
        problems.append(f"policies/{source}: templates are not supported; write static rules")
    vocabulary = _vocabulary(catalogue)
    for position, policy in parsed.get("staticPolicies", {}).items():
        rule = _rule_of(source, position, policy, vocabulary, rules, problems)
        if rule is not None:
            rules[rule.id] = rule


def _rule_of(  # noqa: PLR0917 - the reader's state, passed down from rules_of
    source: str,
    position: str,
    policy: dict[str, Any],
    vocabulary: frozenset[str],
    rules: Mapping[str, Rule],
    problems: list[str],
) -> Rule | None:
    notes: dict[str, str] = dict(policy.get("annotations", {}))
    rule_id = notes.get("id", "")
    where = f"policies/{source}: rule {rule_id or position}"
    problems.extend(_annotation_problems(where, notes, rule_id, rules))
    citations = split_citations(notes.get("citation", ""))
    table = authorities()
    problems.extend(f"{where}: {why}" for why in map(table.problem, citations) if why is not None)
    action = _action_of(policy.get("action", {}))
    if action is None:
        problems.append(
            f'{where} must name exactly one action (action == Action::"disclose" or '
            'Action::"route_to_review"), so that a forbid never silences a review'
        )
        action = DISCLOSE
    effect = str(policy.get("effect"))
    if action == REVIEW and effect != "permit":
        problems.append(f"{where}: review rules are permits (they route, never forbid)")
    conditions = policy.get("conditions", [])
    problems.extend(
        f"{where} compares against unknown value {literal!r} (a typo would never match)"
        for literal in _literals(conditions)
        if literal not in vocabulary
    )
    obligations = _obligations(where, notes, effect, action, problems)
    if not rule_id:
        return None
    return Rule(
        id=rule_id,
        effect=effect,
        action=action,
        citations=citations,
        summary=notes.get("summary", "").strip(),
        summary_es=notes.get("summary_es", "").strip(),
        source=f"policies/{source}",
        requires_protocols='"protocols_agreed"' in json.dumps(conditions),
        **obligations,
    )


def _annotation_problems(
    where: str, notes: Mapping[str, str], rule_id: str, rules: Mapping[str, Rule]
) -> Iterator[str]:
    for key in REQUIRED_ANNOTATIONS:
        if not notes.get(key, "").strip():
            yield f"{where} has no @{key} annotation"
    for key in sorted(set(notes) - KNOWN_ANNOTATIONS):
        yield f"{where} has an unknown annotation @{key}"
    if rule_id and not RULE_ID.match(rule_id):
        yield f"{where}: @id must be lowercase letters, digits and dashes"
    if rule_id in rules:
        yield f"{where}: @id {rule_id!r} is used twice"


def _vocabulary(catalogue: Mapping[FieldRef, FieldSpec]) -> frozenset[str]:
    """Every string a rule may compare against: a typo would silently never match."""
    words: set[str] = {p.value for p in Program} | {s.value for s in Sensitivity}
    words |= {k.value for k in RequesterKind} | {p.value for p in Purpose}
    words |= {k.value for k in LegalProcessKind}
    words |= {ref.name for ref in catalogue} | {str(ref) for ref in catalogue}
    return frozenset(words)


def _literals(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Value" and isinstance(value, str):
                yield value
            elif key == "Set" and isinstance(value, list):
                for item in value:
                    yield from _literals(item)
            else:
                yield from _literals(value)
    elif isinstance(node, list):
        for item in node:
            yield from _literals(item)


def _action_of(scope: dict[str, Any]) -> str | None:
    if scope.get("op") == "==":
        entity = scope.get("entity", {})
        if entity.get("type") == "Action" and entity.get("id") in ACTIONS:
            return str(entity["id"])
    return None


def _obligations(  # noqa: C901, PLR0912
    where: str, notes: dict[str, str], effect: str, action: str, problems: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "compelled" in notes:
        if notes["compelled"] not in {"true", "false"}:
            problems.append(f'{where}: @compelled must be "true" or "false"')
        elif notes["compelled"] == "true" and (effect != "permit" or action != DISCLOSE):
            problems.append(f"{where}: only a disclose permit can be @compelled")
        out["compelled"] = notes["compelled"] == "true"
    if "notify" in notes:
        try:
            out["notify"] = Notify(notes["notify"])
        except ValueError:
            problems.append(f'{where}: @notify must be "before", "after" or "none"')
    if "challenge_window_days" in notes:
        days = notes["challenge_window_days"]
        if (
            not days.isdigit()
            or not 1 <= int(days) <= MAX_WINDOW_DAYS
            or notes.get("notify") != "before"
        ):
            problems.append(
                f"{where}: @challenge_window_days is 1 to 365 days, on a rule that notifies before"
            )
        else:
            out["challenge_window_days"] = int(days)
    if "retention_days" in notes:
        value = notes["retention_days"]
        if not value.isdigit() or int(value) <= 0:
            problems.append(f"{where}: @retention_days must be a positive whole number")
        else:
            out["retention_days"] = int(value)
    if "no_onward_sharing" in notes:
        if notes["no_onward_sharing"] not in {"true", "false"}:
            problems.append(f'{where}: @no_onward_sharing must be "true" or "false"')
        out["no_onward_sharing"] = notes["no_onward_sharing"] != "false"
    if "generalize" in notes:
        if not notes["generalize"].strip() or effect != "permit":
            problems.append(f"{where}: @generalize names a coarser form, on a permit only")
        out["generalize"] = notes["generalize"].strip()
    if "notice_delay_requires" in notes:
        if not notes["notice_delay_requires"].strip():
            problems.append(f"{where}: @notice_delay_requires names the statement it needs")
        out["notice_delay_requires"] = notes["notice_delay_requires"].strip()
    if effect == "forbid" and set(out) - {"notify"}:
        problems.append(f"{where}: a forbid carries no disclosure obligations")
    return out
