"""Setting up the demo: schema, synthetic records, staff, requesters and their keys.

Only for demo mode. Credentials are random per installation, written to a 0600 file under the
data directory and printed, so the first README command gives a working system to explore.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from pyrage import x25519
from sqlalchemy import func, select

from custos.domain import second_factor
from custos.domain.disclosure import RequesterKind
from custos.domain.errors import ConflictError
from custos.domain.roles import Role
from custos.records import demo_people
from custos.store import tables as t
from custos.store.migrate import upgrade
from custos.workflow import accounts, officers, tokens
from custos.workflow.context import Context
from custos.workflow.second_factor import enrol as enrol_second_factor

DEMO_STAFF: tuple[tuple[str, str, frozenset[Role]], ...] = (
    ("admin", "Avery Admin", frozenset({Role.ADMIN})),
    ("intake", "Isabel Intake", frozenset({Role.INTAKE})),
    ("counsel", "Cameron Counsel", frozenset({Role.LEGAL_REVIEWER})),
    ("approver1", "Alex Approver", frozenset({Role.APPROVER})),
    ("approver2", "Blair Approver", frozenset({Role.APPROVER})),
    ("auditor", "Dana Auditor", frozenset({Role.AUDITOR})),
)

#: One agency of each kind the policy packs decide for, and the usual local and state askers.
DEMO_REQUESTERS: tuple[tuple[str, RequesterKind], ...] = (
    ("ICE ERO Kansas City Field Office (demo)", RequesterKind.FEDERAL_IMMIGRATION_ENFORCEMENT),
    ("Columbia Police Department (demo)", RequesterKind.LOCAL_LAW_ENFORCEMENT),
    ("USDA Food and Nutrition Service (demo)", RequesterKind.OTHER_FEDERAL),
    ("Boone County Circuit Court (demo)", RequesterKind.COURT),
    ("Boone County Sheriff's Office (demo)", RequesterKind.LOCAL_LAW_ENFORCEMENT),
    ("Boone County Prosecuting Attorney (demo)", RequesterKind.LOCAL_LAW_ENFORCEMENT),
    ("DHS U.S. Citizenship and Immigration Services, SAVE (demo)", RequesterKind.OTHER_FEDERAL),
    ("Kansas Department for Children and Families (demo)", RequesterKind.STATE),
)


#: Each demo agency's officer (same order as `DEMO_REQUESTERS`): username and full name.
DEMO_OFFICERS: tuple[tuple[str, str], ...] = (
    ("ice.ortega", "Officer Dana Ortega"),
    ("cpd.nguyen", "Detective Lee Nguyen"),
    ("usda.fisher", "Analyst Pat Fisher"),
    ("court.clerk", "Deputy Clerk Sam Rivera"),
    ("sheriff.cole", "Deputy Jordan Cole"),
    ("prosecutor.hale", "Investigator Morgan Hale"),
    ("save.iqbal", "Status Verifier Ana Iqbal"),
    ("kdcf.brooks", "Caseworker Riley Brooks"),
)


@dataclass(kw_only=True)
class DemoCredentials:
    staff: dict[str, str] = field(default_factory=dict)
    requesters: dict[str, dict[str, str]] = field(default_factory=dict)
    people: int = 0
    #: TOTP secrets of the staff set up with a second factor (administrators must be).
    totp: dict[str, str] = field(default_factory=dict)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def credentials_path(ctx: Context) -> Path:
    return ctx.settings.data_dir / "demo-credentials.json"


def set_up(ctx: Context, *, people: int, seed: int) -> DemoCredentials:
    """Create or reuse the demo installation; returns its credentials."""
    if not ctx.settings.demo:
        raise ConflictError("the demo set-up runs only with CUSTOS_DEMO=true")
    ctx.settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(ctx.engine)
    path = credentials_path(ctx)
    with ctx.reading() as s:
        staff_count = s.scalar(select(func.count()).select_from(t.Staff)) or 0
        people_count = s.scalar(select(func.count()).select_from(t.Person)) or 0
    if staff_count and path.exists():
        creds = DemoCredentials(**json.loads(path.read_text(encoding="utf-8")))
    elif staff_count:
        raise ConflictError(
            f"this database has staff but no {path.name}; use a fresh data directory"
        )
    else:
        creds = _create_accounts(ctx)
        _write_private(path, json.dumps(creds.__dict__, indent=2))
    if people_count == 0 and people > 0:
        from custos.workflow import records as records_workflow

        records_workflow.generate_demo(ctx, people=people, seed=seed)
        people_count = people
    write_photos(ctx.settings.data_dir)
    creds.people = people_count
    _write_private(path, json.dumps(creds.__dict__, indent=2))
    return creds


def write_photos(data_dir: Path) -> list[Path]:
    """The demo people's photographs (drawn placeholders, no real faces), at the paths their
    records' `photo_ref` names, so an approved photo field refers to a file that exists."""
    out = []
    for person in demo_people():
        if not person.photo_ref:
            continue
        path = data_dir / person.photo_ref
        path.parent.mkdir(parents=True, exist_ok=True)
        initials = "".join(part[0] for part in person.full_name.split()[:3])
        path.write_text(_PHOTO.format(initials=escape(initials)), encoding="utf-8")
        out.append(path)
    return out


_PHOTO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="300" viewBox="0 0 240 300">'
    '<rect width="240" height="300" fill="#dfe6ee"/>'
    '<circle cx="120" cy="115" r="60" fill="#9fb3c8"/>'
    '<rect x="45" y="190" width="150" height="110" rx="60" fill="#9fb3c8"/>'
    '<text x="120" y="128" font-family="sans-serif" font-size="40" text-anchor="middle" '
    'fill="#243b53">{initials}</text></svg>\n'
)


def _create_accounts(ctx: Context) -> DemoCredentials:
    creds = DemoCredentials()
    principals = {}
    for username, name, roles in DEMO_STAFF:
        password = secrets.token_urlsafe(12)
        principals[username] = accounts.create_staff(
            ctx,
            actor=None,
            username=username,
            display_name=name,
            password=password,
            roles=set(roles),
        )
        creds.staff[username] = password
    admin = principals["admin"]
    # Administrators must have a second factor: the demo's is enrolled as an app would be,
    # with the code it shows now, and its secret is printed so a newcomer can make codes.
    secret = second_factor.new_secret()
    enrol_second_factor(
        ctx, actor=admin, secret=secret, code=second_factor.code_at(secret, ctx.now())
    )
    creds.totp["admin"] = secret
    keys_dir = ctx.settings.data_dir / "demo-keys"
    for (name, kind), (username, officer_name) in zip(DEMO_REQUESTERS, DEMO_OFFICERS, strict=True):
        identity = x25519.Identity.generate()
        view = accounts.register_requester(
            ctx, actor=admin, name=name, kind=kind, age_recipients=[str(identity.to_public())]
        )
        key_path = keys_dir / f"{view.id}.agekey"
        _write_private(key_path, str(identity) + "\n")
        token = tokens.issue_token(ctx, actor=admin, requester_id=view.id)
        officer = officers.register(
            ctx,
            actor=admin,
            requester_id=view.id,
            username=username,
            display_name=officer_name,
            email=f"{username}@example.org",
        )
        creds.requesters[view.id] = {
            "name": name,
            "kind": kind.value,
            "token": token.token,
            "age_identity_file": str(key_path),
            "officer_name": officer_name,
            "officer_username": username,
            "officer_password": officer.password,
            "officer_totp_secret": officer.totp_secret,
        }
    return creds
