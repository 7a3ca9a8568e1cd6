"""Tables of the core: parties, records, requests, decisions and the event log.

Columns holding personal data are marked in their comment. The ledger table holds none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from custos.store.base import Base, BigId, UTCDateTime, blob, short_str, str_id, utc


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[str_id]
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[short_str]
    password_hash: Mapped[str] = mapped_column(String(200))
    #: Comma-free list of `Role` values.
    roles: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[utc]
    #: The TOTP second factor's shared secret (RFC 6238), sealed with the installation's key
    #: (`custos.workflow.totp_seal`); null until enrolled.
    totp_secret: Mapped[str | None] = mapped_column(String(128), nullable=True, default=None)
    #: The last time step whose code signed in: a code is accepted once (RFC 6238 §5.2).
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    #: Set when an administrator resets the second factor: the next sign-in must enrol a new
    #: one, whatever the roles require; cleared by that enrolment.
    totp_reenrol: Mapped[bool] = mapped_column(Boolean, default=False)


class Requester(Base):
    __tablename__ = "requesters"

    id: Mapped[str_id]
    name: Mapped[short_str]
    kind: Mapped[str] = mapped_column(String(40))
    #: age recipients (`age1…`) that deliveries are encrypted to.
    age_recipients: Mapped[list[str]] = mapped_column(JSON)
    contact: Mapped[str] = mapped_column(String(200), default="")
    #: Programs this requester administers or enforces (7 U.S.C. 2020(e)(8)(A)): program
    #: administration rules give it data of these programs only.
    programs: Mapped[list[str]] = mapped_column(JSON, default=list)
    registered_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[utc]


class RequesterToken(Base):
    __tablename__ = "requester_tokens"

    id: Mapped[str_id]
    requester_id: Mapped[str] = mapped_column(ForeignKey("requesters.id"), index=True)
    #: SHA-256 of the token's secret part; the token itself is shown once and never stored.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[utc]
    expires_at: Mapped[utc]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    issued_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))


class RequesterOfficer(Base):
    """A requesting agency's officer: a person with their own portal sign-in (password and
    TOTP), so every request submitted through the portal names who submitted it."""

    __tablename__ = "requester_officers"

    id: Mapped[str_id]
    requester_id: Mapped[str] = mapped_column(ForeignKey("requesters.id"), index=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[short_str]
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    #: The TOTP shared secret (RFC 6238). It must be readable to check a code, so it is
    #: sealed with the installation's key (`custos.workflow.totp_seal`), not hashed; it is a
    #: second factor beside the Argon2 password, never a substitute for it.
    totp_secret: Mapped[str] = mapped_column(String(128))
    #: The last TOTP time step accepted: a code is never accepted twice (RFC 6238 §5.2).
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: `active` or `suspended`.
    status: Mapped[str] = mapped_column(String(20))
    registered_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[utc]


class PortalSession(Base):
    """A signed-in officer's portal session; the cookie holds only its bearer token, the
    table its SHA-256. Sign-out and suspension delete the row."""

    __tablename__ = "portal_sessions"

    id: Mapped[str_id]
    officer_id: Mapped[str] = mapped_column(ForeignKey("requester_officers.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[utc]
    last_seen_at: Mapped[utc]
    #: The absolute end, whatever the activity.
    expires_at: Mapped[utc]


class Agreement(Base):
    __tablename__ = "agreements"

    id: Mapped[str_id]
    requester_id: Mapped[str] = mapped_column(ForeignKey("requesters.id"), index=True)
    title: Mapped[short_str]
    parties: Mapped[list[str]] = mapped_column(JSON)
    programs: Mapped[list[str]] = mapped_column(JSON)
    fields: Mapped[list[str]] = mapped_column(JSON)
    purposes: Mapped[list[str]] = mapped_column(JSON)
    retention_days: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    document_sha256: Mapped[str] = mapped_column(String(64))
    #: The agreed data-and-security protocol document (7 U.S.C. 2020(a)(3)(B)); empty if none.
    protocol_document: Mapped[str] = mapped_column(String(200), default="")
    use_limited_to_program: Mapped[bool] = mapped_column(Boolean, default=False)
    no_onward_sharing: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Programs the other party administers or enforces under this agreement.
    administers: Mapped[list[str]] = mapped_column(JSON, default=list)
    registered_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[utc]


class Household(Base):
    __tablename__ = "households"

    id: Mapped[str_id]
    case_number: Mapped[str] = mapped_column(String(20), unique=True)
    county: Mapped[str] = mapped_column(String(60), index=True)
    #: personal data
    street: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(80))
    zip: Mapped[str] = mapped_column(String(10))


class Person(Base):
    """A person in the agency's records. Every column but the flags is personal data."""

    __tablename__ = "people"

    id: Mapped[str_id]
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    #: Departmental client number: the person's case number for matching.
    dcn: Mapped[str] = mapped_column(String(20), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    name_norm: Mapped[str] = mapped_column(String(170))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    ssn: Mapped[str | None] = mapped_column(String(9), unique=True, nullable=True)
    phone: Mapped[str] = mapped_column(String(20), default="")
    employer: Mapped[str] = mapped_column(String(120), default="")
    relationship: Mapped[str] = mapped_column(String(20), default="head")
    #: citizen, lawful_permanent_resident, refugee_asylee, other_qualified, not_qualified, unknown
    immigration_status: Mapped[str] = mapped_column(String(40))
    #: A formal determination of unlawful presence (e.g. a final removal order) is on file.
    determination_on_file: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    photo_ref: Mapped[str] = mapped_column(String(80), default="")

    __table_args__ = (Index("ix_people_name_birth", "name_norm", "birth_date"),)


class Enrolment(Base):
    __tablename__ = "enrolments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    program: Mapped[str] = mapped_column(String(20))
    monthly_amount_cents: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class Document(Base):
    """A legal document or agreement, content-addressed on disk under the data directory."""

    __tablename__ = "documents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[utc]


class DocumentUpload(Base):
    """Who uploaded a document: a requester's id, or `staff` (paper requests, agreements) or
    `person` (a challenge's attachments). The same bytes uploaded by two parties belong to
    both; a requester may cite only a document it uploaded itself."""

    __tablename__ = "document_uploads"

    sha256: Mapped[str] = mapped_column(ForeignKey("documents.sha256"), primary_key=True)
    uploader: Mapped[str] = mapped_column(String(40), primary_key=True)
    uploaded_at: Mapped[utc]


class Request(Base):
    __tablename__ = "requests"

    id: Mapped[str_id]
    requester_id: Mapped[str] = mapped_column(ForeignKey("requesters.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    purpose_text: Mapped[str] = mapped_column(Text)
    #: The legal process as the requester described it.
    legal_process: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The legal process as a legal reviewer classified it; null until reviewed.
    classified_process: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    statements: Mapped[dict[str, Any]] = mapped_column(JSON)
    fields: Mapped[list[str]] = mapped_column(JSON)
    bulk: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    agreement_id: Mapped[str | None] = mapped_column(ForeignKey("agreements.id"), nullable=True)
    emergency_statement: Mapped[str | None] = mapped_column(Text, nullable=True)
    preservation: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    pack_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    pack_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: Staff member who entered it on a requester's behalf; null when submitted through the API.
    entered_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    #: The officer who submitted it in the portal; null for API tokens and paper requests.
    officer_id: Mapped[str | None] = mapped_column(
        ForeignKey("requester_officers.id"), nullable=True
    )
    denial_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Bumped each time the decision is re-run; approvals count only for the current version.
    decision_version: Mapped[int] = mapped_column(Integer, default=1)
    #: Staff member who confirmed or corrected the legal-process classification.
    classified_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    submitted_at: Mapped[utc]
    updated_at: Mapped[utc]


class RequestSubject(Base):
    """One person a request is about: the identifier as given, and whom it matched."""

    __tablename__ = "request_subjects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    #: personal data: the identifier as the requester gave it (null for bulk matches).
    identifier: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    person_id: Mapped[str | None] = mapped_column(
        ForeignKey("people.id"), nullable=True, index=True
    )
    subject_ref: Mapped[str] = mapped_column(String(40), index=True)
    #: Key of the decision class this subject falls in (see `DecisionRow`).
    class_key: Mapped[str] = mapped_column(String(64))
    #: Set when an upheld challenge removes this person from the request: releases skip them.
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("request_id", "position"),)


class DecisionRow(Base):
    """A field decision for one decision class of a request.

    People whose policy-relevant facts are equal share a class, so a bulk request stores one
    row per class and field, not per person and field.
    """

    __tablename__ = "decision_rows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    class_key: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(80))
    effect: Mapped[str] = mapped_column(String(20))
    rule_ids: Mapped[list[str]] = mapped_column(JSON)
    citations: Mapped[list[str]] = mapped_column(JSON)
    obligations: Mapped[dict[str, Any]] = mapped_column(JSON)
    compelled: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[list[str]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("request_id", "class_key", "field"),)


class Approval(Base):
    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    #: The decision version approved: approvals of an earlier decision do not count.
    decision_version: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[utc]

    __table_args__ = (UniqueConstraint("request_id", "staff_id", "decision_version"),)


class PackActivation(Base):
    __tablename__ = "pack_activations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    activated_by: Mapped[str] = mapped_column(String(60))
    activated_at: Mapped[utc]


class StaffSession(Base):
    """A signed-in staff member's bearer session (API or web), stored hashed."""

    __tablename__ = "staff_sessions"

    id: Mapped[str_id]
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[utc]
    expires_at: Mapped[utc]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class StaffSignInThrottle(Base):
    """Failed staff sign-ins per username, keyed by a hash of the folded username.

    Kept for usernames that exist and for those that do not alike, so a lockout never tells
    anyone whether an account exists.
    """

    __tablename__ = "staff_signin_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[utc]
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LedgerEntry(Base):
    """The append-only event log: one row per event, never updated or deleted.

    `idx` is the entry's position in the Merkle log (0-based), assigned under the ledger's
    sequencing lock; `leaf_hash` is SHA-256(0x00 ‖ body) per RFC 9162 §2.1.1.
    """

    __tablename__ = "ledger_entries"

    idx: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    tag: Mapped[str] = mapped_column(String(60), index=True)
    request_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    #: The person's pseudonym for per-person entries (accounting); never plaintext. Written
    #: from the same value as the entry's own `data.subject`. Not indexed here: appends stay
    #: as fast as any other; integration files it in `ledger_subject_index`.
    subject_ref: Mapped[str | None] = mapped_column(String(40), nullable=True)
    body: Mapped[blob]
    leaf_hash: Mapped[blob]
    at: Mapped[utc]
