"""Tables of people's rights: sign-in, representatives, challenges, opt-out notices, concerns.

Columns holding personal data are marked in their comment. Secrets (access codes, session
tokens, representative tokens) are stored only as hashes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custos.store.base import Base, UTCDateTime, str_id, utc


class PersonAccessCode(Base):
    """A one-time access code printed on a notice letter; Argon2id hash only."""

    __tablename__ = "person_access_codes"

    id: Mapped[str_id]
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    issued_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[utc]
    expires_at: Mapped[utc]
    #: Set when the code is used to sign in (codes are one-time) or replaced by a newer one.
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PersonSignInThrottle(Base):
    """Failed sign-ins per case number, keyed by an HMAC of it so no case number is stored.

    Kept for case numbers that exist and for those that do not alike, so a lockout never
    tells anyone whether a case number is real.
    """

    __tablename__ = "person_signin_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[utc]
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PersonSession(Base):
    """A person's (or their representative's) bearer session, stored hashed."""

    __tablename__ = "person_sessions"

    id: Mapped[str_id]
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    #: How the person proved who they are: `access_code`, `oidc`, or `representative`.
    method: Mapped[str] = mapped_column(String(20))
    representative_id: Mapped[str | None] = mapped_column(
        ForeignKey("representatives.id"), nullable=True
    )
    consent_id: Mapped[str | None] = mapped_column(
        ForeignKey("representative_consents.id"), nullable=True
    )
    scopes: Mapped[list[str]] = mapped_column(JSON)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[utc]
    expires_at: Mapped[utc]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PersonPreference(Base):
    """A person's choices that are not records data: the language of their notices."""

    __tablename__ = "person_preferences"

    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(5), default="en")


class Representative(Base):
    """A legal aid organization or advocate that may act for people who consent."""

    __tablename__ = "representatives"

    id: Mapped[str_id]
    name: Mapped[str] = mapped_column(String(200))
    organization: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of the representative's bearer secret (shown once at registration).
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    registered_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[utc]


class RepresentativeConsent(Base):
    """A person's recorded consent that a representative act for them, within a scope."""

    __tablename__ = "representative_consents"

    id: Mapped[str_id]
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    representative_id: Mapped[str] = mapped_column(ForeignKey("representatives.id"), index=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    granted_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[utc]
    expires_at: Mapped[utc]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(60), nullable=True)


class Challenge(Base):
    """A person's challenge of a pending request or a past disclosure of their data."""

    __tablename__ = "challenges"

    id: Mapped[str_id]
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    #: `pending` (a request not yet released) or `disclosure` (a release already made).
    target: Mapped[str] = mapped_column(String(20))
    release_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: personal data: the person's own words.
    reason: Mapped[str] = mapped_column(Text)
    documents: Mapped[list[str]] = mapped_column(JSON)
    filed_by: Mapped[str] = mapped_column(String(60))
    filed_at: Mapped[utc]
    #: open, upheld, rejected
    status: Mapped[str] = mapped_column(String(20), index=True)
    #: Requests this challenge put on hold (resumed when it is resolved).
    held_requests: Mapped[list[str]] = mapped_column(JSON)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: An upheld challenge of a delivered release whose recall could not be issued here.
    recall_needed: Mapped[bool] = mapped_column(Boolean, default=False)


class Notice(Base):
    """A letter to a person, generated from a template, queued until staff mark it sent."""

    __tablename__ = "notices"

    id: Mapped[str_id]
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5))
    #: Makes generation idempotent (e.g. one `disclosure_made` notice per accounting entry).
    source_key: Mapped[str] = mapped_column(String(120), unique=True)
    #: personal data: what the template is rendered with (never an access code).
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[utc]
    #: queued, sent
    status: Mapped[str] = mapped_column(String(20), index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), nullable=True)


class Concern(Base):
    """A report of suspected unauthorized sharing from anyone, for the privacy officer."""

    __tablename__ = "concerns"

    id: Mapped[str_id]
    acknowledgement: Mapped[str] = mapped_column(String(20), unique=True)
    #: personal data, possibly: the reporter's own words and contact.
    description: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[utc]
    #: received, triaged, closed
    status: Mapped[str] = mapped_column(String(20), index=True)
    priority: Mapped[str | None] = mapped_column(String(20), nullable=True)
    triage_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    triaged_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    triaged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
