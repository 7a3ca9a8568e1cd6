"""The permission table: every action a staff member can take, and the roles that may take it.

One table, read by the services and by the docs. The rules, as datasette documents its own:
no entry means deny; holding any one of an action's roles allows it; `admin` is not a
wildcard (an administrator approves nothing unless also an approver). `docs/permissions.md`
is generated from this table (`python -m custos.domain.permissions`), and a test fails when
the two disagree or when a service checks a role anywhere but here.

Requester token scopes and a person's own scopes are not staff roles and are not listed.
"""

from __future__ import annotations

from enum import StrEnum

from custos.domain.errors import PermissionDeniedError
from custos.domain.principals import StaffPrincipal
from custos.domain.roles import Role

_ALL = frozenset(Role)
_INTAKE, _LEGAL, _APPROVER, _AUDITOR, _ADMIN = (
    Role.INTAKE,
    Role.LEGAL_REVIEWER,
    Role.APPROVER,
    Role.AUDITOR,
    Role.ADMIN,
)


class Action(StrEnum):
    """What a staff member does, as `subject:action`."""

    # accounts and parties
    STAFF_CREATE = "staff:create"
    REQUESTER_REGISTER = "requester:register"
    REQUESTER_LIST = "requester:list"
    OFFICER_REGISTER = "officer:register"
    OFFICER_SUSPEND = "officer:suspend"
    OFFICER_LIST = "officer:list"
    SECOND_FACTOR_RESET = "second-factor:reset"
    TOKEN_ISSUE = "token:issue"  # noqa: S105  # nosec B105  (an action name, not a secret)
    TOKEN_REVOKE = "token:revoke"  # noqa: S105  # nosec B105  (an action name, not a secret)
    AGREEMENT_REGISTER = "agreement:register"
    AGREEMENT_LIST = "agreement:list"
    # legal documents
    DOCUMENT_UPLOAD = "document:upload"
    DOCUMENT_READ = "document:read"
    # requests
    REQUEST_SUBMIT = "request:submit"
    REQUEST_READ = "request:read"
    REQUEST_CLASSIFY = "request:classify"
    REQUEST_APPROVE = "request:approve"
    REQUEST_DENY = "request:deny"
    REQUEST_LAPSE_SWEEP = "request:lapse-sweep"
    # policy
    POLICY_READ = "policy:read"
    POLICY_ACTIVATE = "policy:activate"
    # releases
    RELEASE_BUILD = "release:build"
    RELEASE_READ = "release:read"
    RELEASE_RECALL = "release:recall"
    RELEASE_CORRECT = "release:correct"
    RETENTION_SWEEP = "retention:sweep"
    CIPHERTEXT_PURGE = "ciphertext:purge"
    # people and their rights
    PERSON_FIND = "person:find"
    PERSON_ACCOUNTING = "person:accounting"
    ACCESS_CODE_ISSUE = "access-code:issue"
    REPRESENTATIVE_REGISTER = "representative:register"
    CHALLENGE_FILE = "challenge:file"
    CHALLENGE_LIST = "challenge:list"
    CHALLENGE_RESOLVE = "challenge:resolve"
    NOTICE_WORK = "notice:work"
    CONCERN_WORK = "concern:work"
    # oversight and the ledger
    OVERSIGHT_RUN = "oversight:run"
    AUDIT_READ = "audit:read"
    CHECKPOINT_PUBLISH = "checkpoint:publish"


#: Each action and the roles that may take it. Least privilege: read the row, not the role.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.STAFF_CREATE: frozenset({_ADMIN}),
    Action.REQUESTER_REGISTER: frozenset({_ADMIN, _INTAKE}),
    Action.REQUESTER_LIST: _ALL,
    Action.OFFICER_REGISTER: frozenset({_ADMIN, _INTAKE}),
    Action.OFFICER_SUSPEND: frozenset({_ADMIN, _INTAKE}),
    Action.SECOND_FACTOR_RESET: frozenset({_ADMIN}),
    Action.OFFICER_LIST: _ALL,
    Action.TOKEN_ISSUE: frozenset({_ADMIN}),
    Action.TOKEN_REVOKE: frozenset({_ADMIN}),
    Action.AGREEMENT_REGISTER: frozenset({_ADMIN, _LEGAL}),
    Action.AGREEMENT_LIST: _ALL,
    Action.DOCUMENT_UPLOAD: frozenset({_INTAKE, _LEGAL, _ADMIN}),
    Action.DOCUMENT_READ: _ALL,
    Action.REQUEST_SUBMIT: frozenset({_INTAKE}),
    Action.REQUEST_READ: _ALL,
    Action.REQUEST_CLASSIFY: frozenset({_LEGAL}),
    Action.REQUEST_APPROVE: frozenset({_APPROVER}),
    Action.REQUEST_DENY: frozenset({_LEGAL, _APPROVER}),
    Action.REQUEST_LAPSE_SWEEP: frozenset({_ADMIN}),
    Action.POLICY_READ: frozenset({_LEGAL, _APPROVER, _AUDITOR, _ADMIN}),
    Action.POLICY_ACTIVATE: frozenset({_ADMIN}),
    Action.RELEASE_BUILD: frozenset({_APPROVER, _ADMIN}),
    Action.RELEASE_READ: frozenset({_APPROVER, _ADMIN, _AUDITOR, _LEGAL}),
    Action.RELEASE_RECALL: frozenset({_APPROVER, _LEGAL}),
    Action.RELEASE_CORRECT: frozenset({_APPROVER, _LEGAL}),
    Action.RETENTION_SWEEP: frozenset({_ADMIN, _AUDITOR}),
    Action.CIPHERTEXT_PURGE: frozenset({_ADMIN}),
    Action.PERSON_FIND: frozenset({_INTAKE, _LEGAL, _AUDITOR, _ADMIN}),
    Action.PERSON_ACCOUNTING: frozenset({_INTAKE, _LEGAL, _AUDITOR, _ADMIN}),
    Action.ACCESS_CODE_ISSUE: frozenset({_INTAKE, _ADMIN}),
    Action.REPRESENTATIVE_REGISTER: frozenset({_ADMIN}),
    Action.CHALLENGE_FILE: frozenset({_INTAKE, _LEGAL}),
    Action.CHALLENGE_LIST: frozenset({_LEGAL, _AUDITOR}),
    Action.CHALLENGE_RESOLVE: frozenset({_LEGAL}),
    Action.NOTICE_WORK: frozenset({_INTAKE, _ADMIN}),
    Action.CONCERN_WORK: frozenset({_AUDITOR, _ADMIN}),
    Action.OVERSIGHT_RUN: frozenset({_AUDITOR, _ADMIN}),
    Action.AUDIT_READ: frozenset({_AUDITOR}),
    Action.CHECKPOINT_PUBLISH: frozenset({_AUDITOR, _ADMIN}),
}

_DESCRIPTIONS: dict[Action, str] = {
    Action.STAFF_CREATE: "create a staff account",
    Action.REQUESTER_REGISTER: "register a requesting agency",
    Action.REQUESTER_LIST: "list requesting agencies",
    Action.OFFICER_REGISTER: "register an officer of a requesting agency (portal account)",
    Action.OFFICER_SUSPEND: "suspend or reinstate a requesting agency's officer",
    Action.OFFICER_LIST: "list requesting agencies' officers",
    Action.SECOND_FACTOR_RESET: (
        "reset the lost second factor of a staff member or an officer (never one's own)"
    ),
    Action.TOKEN_ISSUE: "issue an API token to a requesting agency",
    Action.TOKEN_REVOKE: "revoke a requesting agency's API token",
    Action.AGREEMENT_REGISTER: "record a data sharing agreement",
    Action.AGREEMENT_LIST: "list data sharing agreements",
    Action.DOCUMENT_UPLOAD: "upload a legal document for a paper request",
    Action.DOCUMENT_READ: "read a legal document and its description",
    Action.REQUEST_SUBMIT: "enter a paper request",
    Action.REQUEST_READ: "read requests, the queue and a request's events",
    Action.REQUEST_CLASSIFY: "confirm or correct what a legal document is",
    Action.REQUEST_APPROVE: "give one of the two approvals a disclosure needs",
    Action.REQUEST_DENY: "deny a request",
    Action.REQUEST_LAPSE_SWEEP: "lapse requests whose legal process expired",
    Action.POLICY_READ: "read, explain, diff and replay policy packs",
    Action.POLICY_ACTIVATE: "activate a policy pack",
    Action.RELEASE_BUILD: "build an approved release",
    Action.RELEASE_READ: "read releases and their retention",
    Action.RELEASE_RECALL: "recall a release",
    Action.RELEASE_CORRECT: "issue a corrected release",
    Action.RETENTION_SWEEP: "mark releases past retention overdue",
    Action.CIPHERTEXT_PURGE: "purge delivered release ciphertext",
    Action.PERSON_FIND: "find a person by case number",
    Action.PERSON_ACCOUNTING: "read a person's accounting of disclosures",
    Action.ACCESS_CODE_ISSUE: "issue a person's access code",
    Action.REPRESENTATIVE_REGISTER: "register an authorized representative",
    Action.CHALLENGE_FILE: "enter a challenge a person made by mail, phone or at a counter",
    Action.CHALLENGE_LIST: "list challenges",
    Action.CHALLENGE_RESOLVE: "decide a challenge",
    Action.NOTICE_WORK: "queue, render and mark letters to people",
    Action.CONCERN_WORK: "read and triage public concerns",
    Action.OVERSIGHT_RUN: "run alert rules and transparency reports, list alerts",
    Action.AUDIT_READ: "read ledger entries and audit views",
    Action.CHECKPOINT_PUBLISH: "publish a ledger checkpoint now",
}


def allowed(actor: StaffPrincipal, action: Action) -> bool:
    """Whether `actor` may take `action` (for showing or hiding a button; services `require`)."""
    return bool(actor.roles & PERMISSIONS.get(action, frozenset()))


def require(actor: StaffPrincipal, action: Action) -> None:
    """Raise `PermissionDeniedError` unless `actor` holds one of the action's roles."""
    if not allowed(actor, action):
        roles = sorted(r.value for r in PERMISSIONS.get(action, frozenset()))
        needs = ", ".join(roles) if roles else "a role no one holds"
        raise PermissionDeniedError(f"this action needs one of the roles: {needs} ({action.value})")


def markdown() -> str:
    """The table as `docs/permissions.md` holds it."""
    roles = list(Role)
    head = "| action | what it allows | " + " | ".join(r.value for r in roles) + " |"
    rule = "|---|---|" + "---|" * len(roles)
    rows = [
        f"| `{a.value}` | {_DESCRIPTIONS[a]} | "
        + " | ".join("✓" if r in PERMISSIONS[a] else "" for r in roles)
        + " |"
        for a in Action
    ]
    intro = (
        "# Staff permissions\n\n"
        "Generated from `custos.domain.permissions` by `python -m custos.domain.permissions`; "
        "a test fails when this page and the code disagree.\n\n"
        "No entry means deny. Holding any one role of a row allows the action. `admin` is not a "
        "wildcard: the two approvals of a disclosure need approvers, whoever else signs in.\n\n"
    )
    return intro + "\n".join([head, rule, *rows]) + "\n"


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(markdown())
