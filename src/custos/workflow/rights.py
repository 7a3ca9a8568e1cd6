"""People's rights as services: sign-in, accounting, challenges, opt-out, notices, concerns.

The person whose data it is can learn every disclosure of it (the accounting pattern of
5 U.S.C. 552a(c)), challenge a pending request or a past disclosure, and opt out of what is
discretionary — without an agency employee's help, and with proof.

Rules kept here:

- *Neither confirm nor deny.* A sign-in failure reads the same whether the case number exists
  or not, and lockouts count case numbers that do not exist exactly like those that do. A
  request or disclosure id that is not the person's own reads like one that does not exist.
- *Own data only.* Every read is keyed by the signed-in person's pseudonym or person id, never
  by an id the caller supplies; a request that covered a whole household shows each member
  only their own entry.
- *Delayed notice* (45 CFR 164.528(a)(2)) hides an entry only while its written
  non-disclosure requirement runs, and the person is told how many are withheld and until
  when; the date is compared with today on every read.
- *One transaction.* Every change and its ledger entry commit together. Person actions are
  logged as `person:<pseudonym>` or `representative:<id>`, never a name; reasons and letters
  (personal data) stay in the rights tables, not in the log.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import hashlib
import hmac
import importlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from custos import ledger
from custos.domain.errors import (
    AuthenticationError,
    ConflictError,
    CustosError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
)
from custos.domain.events import Event, EventTag
from custos.domain.lifecycle import UNRELEASED, RequestStatus
from custos.domain.principals import StaffPrincipal
from custos.domain.pseudonyms import pseudonym
from custos.domain.roles import Role
from custos.rights import (
    ALL_SCOPES,
    FORMAT,
    AccountingEntry,
    NoticeKind,
    OidcVerifier,
    PersonPrincipal,
    PersonScope,
    Withheld,
    check_language,
    disclosure_status,
    generate_code,
    normalize_case_number,
    normalize_code,
    parse_entry,
    render_html,
    render_pdf,
    split_visible,
)
from custos.store import rights_tables as r
from custos.store import tables as t
from custos.workflow import _secrets, documents, requests
from custos.workflow import ledger as ledger_service
from custos.workflow._ids import new_id
from custos.workflow.context import Context

_hasher = PasswordHasher()
#: Verified against when no code could match, so a wrong case number costs what a wrong code does.
_DUMMY_HASH = _hasher.hash("custos-dummy-access-code")

#: Days an access code stays valid after it is issued.
ACCESS_CODE_DAYS = 30
#: Wrong sign-ins for one case number before it is locked.
MAX_SIGNIN_FAILURES = 5
#: How long a locked case number stays locked.
LOCKOUT_MINUTES = 15
#: Lifetime of a person's or representative's session.
PERSON_SESSION_MINUTES = 60
#: Days a person has, from the request's arrival, to challenge a request noticed before
#: disclosure. Releases of requests with notice-before obligations wait at least this long.
CHALLENGE_WINDOW_DAYS = 14
#: Longest consent a person may give a representative.
MAX_CONSENT_DAYS = 366
MAX_REASON_CHARS = 5000
MAX_CHALLENGE_DOCUMENTS = 5
MAX_CHALLENGE_DOCUMENT_BYTES = 5 * 1024 * 1024
#: What a person may attach to a challenge, by type, with how each kind of file begins: a PDF,
#: or a photo of a paper (many people have a phone, not a scanner). The content must begin as
#: its declared type does, so a reviewer never opens a program labelled as a document.
CHALLENGE_DOCUMENT_TYPES = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}


_NOTICE_STAFF = (Role.INTAKE, Role.ADMIN)
_PERSON_STAFF = (Role.INTAKE, Role.LEGAL_REVIEWER, Role.AUDITOR, Role.ADMIN)
#: The privacy officer's triage of public concerns is an oversight task.
_CONCERN_STAFF = (Role.AUDITOR, Role.ADMIN)


class SignInLockedError(AuthenticationError):
    """Too many wrong sign-ins for this case number; read the same for every case number."""

    kind = "sign-in-locked"
    status = 429


_SIGNIN_FAILED = "the case number, date of birth and access code do not match"


def _append(
    ctx: Context,
    s: Session,
    tag: EventTag,
    actor: str,
    *,
    subject_ref: str | None = None,
    request_id: str | None = None,
    **data: Any,
) -> None:
    ledger.append(
        s,
        [Event(tag=tag, at=ctx.now(), actor=actor, request_id=request_id, data=data)],
        subject_refs=[subject_ref],
    )


def _ref(ctx: Context, person_id: str) -> str:
    return pseudonym(ctx.settings.pseudonym_key, person_id)


def _person(s: Session, person_id: str, *, lock: bool = False) -> t.Person:
    q = select(t.Person).where(t.Person.id == person_id)
    if lock:
        q = q.with_for_update()
    row = s.scalar(q)
    if row is None:
        raise NotFoundError("no such person")
    return row


def _language(s: Session, person_id: str) -> str:
    pref = s.get(r.PersonPreference, person_id)
    return pref.language if pref is not None else "en"


# --- access codes and sign-in ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IssuedCode:
    """An access code, shown once: print `letter_html` (or the PDF) and mail it."""

    code: str
    expires_at: dt.datetime
    notice_id: str
    letter_html: str


def issue_access_code(
    ctx: Context, *, actor: StaffPrincipal, person_id: str, language: str | None = None
) -> IssuedCode:
    """Issue a one-time access code for a person; earlier unused codes stop working.

    The code is returned once and stored only as an Argon2id hash: the queued notice keeps
    everything but the code, so the letter with the code is printed now or never.
    """
    actor.require(Role.INTAKE, Role.ADMIN)
    if language is not None:
        check_language(language)
    code = generate_code()
    with ctx.transaction() as s:
        person = _person(s, person_id, lock=True)
        now = ctx.now()
        for old in s.scalars(
            select(r.PersonAccessCode).where(
                r.PersonAccessCode.person_id == person.id,
                r.PersonAccessCode.used_at.is_(None),
                r.PersonAccessCode.revoked_at.is_(None),
            )
        ):
            old.revoked_at = now
        if language is not None:
            _set_language(s, person.id, language)
        lang = language or _language(s, person.id)
        expires = now + dt.timedelta(days=ACCESS_CODE_DAYS)
        row = r.PersonAccessCode(
            id=new_id("acc"),
            person_id=person.id,
            code_hash=_hasher.hash(normalize_code(code)),
            issued_by=actor.id,
            created_at=now,
            expires_at=expires,
        )
        s.add(row)
        s.flush()
        ref = _ref(ctx, person.id)
        _append(
            ctx,
            s,
            EventTag.PERSON_ACCESS_CODE_ISSUE,
            actor.actor,
            subject_ref=ref,
            code=row.id,
            expires=expires.date().isoformat(),
        )
        data = {"expires_on": expires.date().isoformat()}
        notice = _queue_notice(
            ctx,
            s,
            person,
            NoticeKind.ACCESS_CODE,
            source_key=f"code:{row.id}",
            data=data,
            language=lang,
        )
        assert notice is not None  # a fresh code id is a fresh source key
        letter = render_html(
            NoticeKind.ACCESS_CODE, lang, {**_letter_data(s, person, ctx), **data, "code": code}
        )
        return IssuedCode(code=code, expires_at=expires, notice_id=notice.id, letter_html=letter)


@dataclass(frozen=True, kw_only=True)
class OpenedSession:
    token: str
    expires_at: dt.datetime
    principal: PersonPrincipal


class PersonSignIn(Protocol):
    """How a person proves who they are. Implementations: `AccessCodeSignIn`, `OidcSignIn`.

    A deployment picks one or both; each returns an opened session or raises
    AuthenticationError with a message that says nothing about which part was wrong.
    """

    method: str

    def sign_in(self, ctx: Context, credentials: Mapping[str, str]) -> OpenedSession: ...


def _throttle_key(ctx: Context, case_number: str) -> str:
    return hmac.new(
        ctx.settings.pseudonym_key, b"signin:" + case_number.encode(), hashlib.sha256
    ).hexdigest()


def _candidates(s: Session, case_number: str, birth_date: dt.date) -> list[str]:
    """People with this case number (their own or their household's) and birth date."""
    return list(
        s.scalars(
            select(t.Person.id)
            .join(t.Household, t.Household.id == t.Person.household_id)
            .where(
                t.Person.birth_date == birth_date,
                or_(t.Person.dcn == case_number, t.Household.case_number == case_number),
            )
        )
    )


def _open_session(
    ctx: Context,
    s: Session,
    *,
    person_id: str,
    method: str,
    scopes: Iterable[PersonScope] = ALL_SCOPES,
    representative_id: str | None = None,
    consent_id: str | None = None,
    expires_at: dt.datetime | None = None,
) -> OpenedSession:
    session_id = new_id("pss")
    token, secret_hash = _secrets.mint(session_id)
    now = ctx.now()
    expires = now + dt.timedelta(minutes=PERSON_SESSION_MINUTES)
    if expires_at is not None:
        expires = min(expires, expires_at)
    chosen = frozenset(scopes)
    s.add(
        r.PersonSession(
            id=session_id,
            person_id=person_id,
            method=method,
            representative_id=representative_id,
            consent_id=consent_id,
            scopes=sorted(sc.value for sc in chosen),
            secret_hash=secret_hash,
            created_at=now,
            expires_at=expires,
        )
    )
    return OpenedSession(
        token=token,
        expires_at=expires,
        principal=PersonPrincipal(
            person_id=person_id,
            subject_ref=_ref(ctx, person_id),
            scopes=chosen,
            representative_id=representative_id,
            consent_id=consent_id,
        ),
    )


class AccessCodeSignIn:
    """Case number + date of birth + the one-time code from a notice letter.

    Steps: (1) refuse while the case number is locked; (2) find people with that case number
    and birth date; (3) check the code against their live codes (Argon2id; a dummy hash when
    there is nothing to check, so timing does not tell); (4) on failure count it, and lock
    after `MAX_SIGNIN_FAILURES`; on success spend the code and clear the count.
    """

    method = "access_code"

    def sign_in(self, ctx: Context, credentials: Mapping[str, str]) -> OpenedSession:
        case_number = normalize_case_number(credentials.get("case_number", ""))
        code = normalize_code(credentials.get("code", ""))
        try:
            birth_date = dt.date.fromisoformat(credentials.get("birth_date", ""))
        except ValueError:
            raise InvalidInputError(
                "the sign-in is invalid",
                [FieldProblem(path="birth_date", message="a date, YYYY-MM-DD")],
            ) from None
        if not case_number or not code:
            raise AuthenticationError(_SIGNIN_FAILED)
        key = _throttle_key(ctx, case_number)
        failure: AuthenticationError | None = None
        opened: OpenedSession | None = None
        with ctx.transaction() as s:
            now = ctx.now()
            throttle = s.scalar(
                select(r.PersonSignInThrottle)
                .where(r.PersonSignInThrottle.key == key)
                .with_for_update()
            )
            # 1. Locked: refuse without looking at the code.
            if throttle is not None and throttle.locked_until is not None:
                if throttle.locked_until > now:
                    raise SignInLockedError(_locked_message(throttle.locked_until))
                throttle.failures, throttle.locked_until = 0, None
            # 2.–3. Find a live code among the people this case number and birth date name.
            person_id = self._match(s, case_number, birth_date, code, now)
            if person_id is None:
                # 4. Count the failure; it must commit even though the sign-in fails.
                failure = self._fail(ctx, s, key, throttle, now)
            else:
                if throttle is not None:
                    s.delete(throttle)
                opened = _open_session(ctx, s, person_id=person_id, method=self.method)
        if failure is not None:
            raise failure
        assert opened is not None
        return opened

    @staticmethod
    def _match(
        s: Session, case_number: str, birth_date: dt.date, code: str, now: dt.datetime
    ) -> str | None:
        people = _candidates(s, case_number, birth_date)
        rows = (
            list(
                s.scalars(
                    select(r.PersonAccessCode).where(
                        r.PersonAccessCode.person_id.in_(people),
                        r.PersonAccessCode.used_at.is_(None),
                        r.PersonAccessCode.revoked_at.is_(None),
                        r.PersonAccessCode.expires_at > now,
                    )
                )
            )
            if people
            else []
        )
        if not rows:
            with contextlib.suppress(VerificationError, InvalidHashError):
                _hasher.verify(_DUMMY_HASH, code)
            return None
        for row in rows:
            try:
                _hasher.verify(row.code_hash, code)
            except (VerificationError, InvalidHashError):
                continue
            row.used_at = now
            return row.person_id
        return None

    @staticmethod
    def _fail(
        ctx: Context,
        s: Session,
        key: str,
        throttle: r.PersonSignInThrottle | None,
        now: dt.datetime,
    ) -> AuthenticationError:
        if throttle is None:
            throttle = r.PersonSignInThrottle(key=key, failures=0, first_failure_at=now)
            s.add(throttle)
        throttle.failures += 1
        if throttle.failures < MAX_SIGNIN_FAILURES:
            return AuthenticationError(_SIGNIN_FAILED)
        throttle.locked_until = now + dt.timedelta(minutes=LOCKOUT_MINUTES)
        # The log names the throttle key's prefix, not a case number or a person.
        _append(
            ctx,
            s,
            EventTag.PERSON_SIGNIN_LOCKOUT,
            "system",
            key=key[:16],
            until=throttle.locked_until.isoformat(),
        )
        return SignInLockedError(_locked_message(throttle.locked_until))


def _locked_message(until: dt.datetime) -> str:
    return (
        "too many sign-in attempts for this case number; try again after "
        f"{until.strftime('%Y-%m-%d %H:%M')} UTC or ask the agency for a new letter"
    )


class OidcSignIn:
    """Sign-in through the state's OpenID Connect provider (see `custos.rights._oidc`).

    Credentials: `id_token` from the provider's token endpoint and the `nonce` this sign-in
    started with. The provider vouches for case number and birth date; no access code.
    """

    method = "oidc"

    def __init__(self, verifier: OidcVerifier) -> None:
        self.verifier = verifier

    def sign_in(self, ctx: Context, credentials: Mapping[str, str]) -> OpenedSession:
        identity = self.verifier.verify(
            credentials.get("id_token", ""), nonce=credentials.get("nonce", ""), now=ctx.now()
        )
        with ctx.transaction() as s:
            people = _candidates(
                s, normalize_case_number(identity.case_number), identity.birth_date
            )
            if len(people) != 1:
                raise AuthenticationError("the identity provider's sign-in is not valid")
            return _open_session(ctx, s, person_id=people[0], method=self.method)


def person_from_session(ctx: Context, token: str) -> PersonPrincipal:
    """Authenticate a person's (or representative's) bearer session. Every failure reads the
    same; a representative's session ends as soon as the consent is revoked or expires."""
    row_id, secret = _secrets.split(token)
    with ctx.reading() as s:
        sess = s.get(r.PersonSession, row_id)
        if sess is None or not _secrets.matches(secret, sess.secret_hash):
            raise AuthenticationError("the session is not valid")
        if sess.revoked_at is not None or sess.expires_at <= ctx.now():
            raise AuthenticationError("the session has expired; sign in again")
        if sess.consent_id is not None:
            consent = s.get(r.RepresentativeConsent, sess.consent_id)
            rep = s.get(r.Representative, sess.representative_id or "")
            if consent is None or not _consent_live(consent, ctx.now()):
                raise AuthenticationError("the consent has ended")
            if rep is None or not rep.active:
                raise AuthenticationError("the session is not valid")
        return PersonPrincipal(
            person_id=sess.person_id,
            subject_ref=_ref(ctx, sess.person_id),
            scopes=frozenset(PersonScope(x) for x in sess.scopes),
            representative_id=sess.representative_id,
            consent_id=sess.consent_id,
        )


def sign_out(ctx: Context, token: str) -> None:
    row_id, secret = _secrets.split(token)
    with ctx.transaction() as s:
        sess = s.get(r.PersonSession, row_id)
        if sess is not None and _secrets.matches(secret, sess.secret_hash):
            sess.revoked_at = ctx.now()


# --- representatives ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RepresentativeView:
    id: str
    name: str
    organization: str
    active: bool


@dataclass(frozen=True, kw_only=True)
class RegisteredRepresentative:
    representative: RepresentativeView
    #: The representative's bearer token, shown once.
    token: str


def register_representative(
    ctx: Context, *, actor: StaffPrincipal, name: str, organization: str
) -> RegisteredRepresentative:
    """Register a legal aid organization or advocate. They act for nobody until a person
    consents."""
    actor.require(Role.ADMIN)
    problems = []
    if not name.strip():
        problems.append(FieldProblem(path="name", message="required"))
    if not organization.strip():
        problems.append(FieldProblem(path="organization", message="required"))
    if problems:
        raise InvalidInputError("the representative is invalid", problems)
    rep_id = new_id("rep")
    token, secret_hash = _secrets.mint(rep_id)
    with ctx.transaction() as s:
        row = r.Representative(
            id=rep_id,
            name=name.strip(),
            organization=organization.strip(),
            secret_hash=secret_hash,
            registered_by=actor.id,
            active=True,
            created_at=ctx.now(),
        )
        s.add(row)
        s.flush()
        _append(
            ctx,
            s,
            EventTag.PERSON_REPRESENTATIVE_REGISTER,
            actor.actor,
            representative=row.id,
            organization=row.organization,
        )
        return RegisteredRepresentative(representative=_rep_view(row), token=token)


def _rep_view(row: r.Representative) -> RepresentativeView:
    return RepresentativeView(
        id=row.id, name=row.name, organization=row.organization, active=row.active
    )


def list_representatives(ctx: Context) -> list[RepresentativeView]:
    """Registered representatives (public: people choose whom to consent to)."""
    with ctx.reading() as s:
        return [
            _rep_view(x)
            for x in s.scalars(
                select(r.Representative)
                .where(r.Representative.active.is_(True))
                .order_by(r.Representative.organization)
            )
        ]


def representative_from_token(ctx: Context, token: str) -> str:
    row_id, secret = _secrets.split(token)
    with ctx.reading() as s:
        row = s.get(r.Representative, row_id)
        if row is None or not _secrets.matches(secret, row.secret_hash) or not row.active:
            raise AuthenticationError("the token is not valid")
        return row.id


@dataclass(frozen=True, kw_only=True)
class ConsentView:
    id: str
    representative_id: str
    representative_name: str
    organization: str
    scopes: tuple[PersonScope, ...]
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    active: bool


def _consent_live(row: r.RepresentativeConsent, now: dt.datetime) -> bool:
    return row.revoked_at is None and row.expires_at > now


def _consent_view(s: Session, row: r.RepresentativeConsent, now: dt.datetime) -> ConsentView:
    rep = s.get(r.Representative, row.representative_id)
    assert rep is not None
    return ConsentView(
        id=row.id,
        representative_id=rep.id,
        representative_name=rep.name,
        organization=rep.organization,
        scopes=tuple(PersonScope(x) for x in row.scopes),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        active=_consent_live(row, now),
    )


def _require_person_self(principal: PersonPrincipal) -> None:
    """Consents are the person's own act: a representative cannot grant or widen one."""
    if principal.is_representative:
        raise NotFoundError("no such consent")


def grant_consent(
    ctx: Context,
    *,
    principal: PersonPrincipal,
    representative_id: str,
    scopes: Iterable[PersonScope],
    days: int,
) -> ConsentView:
    """The person lets a representative act for them, within `scopes`, for `days`."""
    _require_person_self(principal)
    chosen = sorted({PersonScope(x).value for x in scopes})
    problems = []
    if not chosen:
        problems.append(FieldProblem(path="scopes", message="at least one scope"))
    if not 1 <= days <= MAX_CONSENT_DAYS:
        problems.append(FieldProblem(path="days", message=f"1 to {MAX_CONSENT_DAYS}"))
    if problems:
        raise InvalidInputError("the consent is invalid", problems)
    with ctx.transaction() as s:
        rep = s.get(r.Representative, representative_id)
        if rep is None or not rep.active:
            raise NotFoundError("no such representative")
        now = ctx.now()
        row = r.RepresentativeConsent(
            id=new_id("cst"),
            person_id=principal.person_id,
            representative_id=rep.id,
            scopes=chosen,
            granted_by=principal.actor,
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
        s.add(row)
        s.flush()
        _append(
            ctx,
            s,
            EventTag.PERSON_REPRESENTATIVE_GRANT,
            principal.actor,
            subject_ref=principal.subject_ref,
            consent=row.id,
            representative=rep.id,
            scopes=chosen,
            expires=row.expires_at.date().isoformat(),
        )
        return _consent_view(s, row, now)


def revoke_consent(ctx: Context, *, principal: PersonPrincipal, consent_id: str) -> None:
    """The person ends a consent; the representative's sessions stop working at once."""
    _require_person_self(principal)
    with ctx.transaction() as s:
        row = s.get(r.RepresentativeConsent, consent_id)
        if row is None or row.person_id != principal.person_id:
            raise NotFoundError("no such consent")
        if row.revoked_at is not None:
            return
        row.revoked_at = ctx.now()
        row.revoked_by = principal.actor
        _append(
            ctx,
            s,
            EventTag.PERSON_REPRESENTATIVE_REVOKE,
            principal.actor,
            subject_ref=principal.subject_ref,
            consent=row.id,
            representative=row.representative_id,
        )


def list_consents(ctx: Context, *, principal: PersonPrincipal) -> list[ConsentView]:
    _require_person_self(principal)
    with ctx.reading() as s:
        rows = s.scalars(
            select(r.RepresentativeConsent)
            .where(r.RepresentativeConsent.person_id == principal.person_id)
            .order_by(r.RepresentativeConsent.created_at)
        )
        return [_consent_view(s, row, ctx.now()) for row in rows]


def act_for(ctx: Context, *, representative_id: str, consent_id: str) -> OpenedSession:
    """A representative opens a session for a person who consented, within the consent."""
    with ctx.transaction() as s:
        consent = s.get(r.RepresentativeConsent, consent_id)
        if (
            consent is None
            or consent.representative_id != representative_id
            or not _consent_live(consent, ctx.now())
        ):
            raise NotFoundError("no such consent")
        return _open_session(
            ctx,
            s,
            person_id=consent.person_id,
            method="representative",
            scopes=[PersonScope(x) for x in consent.scopes],
            representative_id=representative_id,
            consent_id=consent.id,
            expires_at=consent.expires_at,
        )


def representative_consents(ctx: Context, *, representative_id: str) -> list[ConsentView]:
    """The live consents a representative holds (to pick whom to act for)."""
    with ctx.reading() as s:
        rows = s.scalars(
            select(r.RepresentativeConsent)
            .where(r.RepresentativeConsent.representative_id == representative_id)
            .order_by(r.RepresentativeConsent.created_at)
        )
        now = ctx.now()
        return [_consent_view(s, row, now) for row in rows if _consent_live(row, now)]


# --- accounting -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class InclusionProof:
    """An RFC 9162 inclusion proof of one entry against the document's checkpoint."""

    index: int
    tree_size: int
    entry: bytes
    inclusion: tuple[bytes, ...]


@dataclass(frozen=True, kw_only=True)
class DisclosureView:
    entry: AccountingEntry
    status: str
    proof: InclusionProof | None


@dataclass(frozen=True, kw_only=True)
class PendingView:
    """A request about the person that the pack says they must hear of before disclosure."""

    request_id: str
    requester_name: str
    fields: tuple[str, ...]
    purpose: str
    legal_process: str
    received_on: dt.date
    challenge_by: dt.date
    status: str


@dataclass(frozen=True, kw_only=True)
class ChallengeView:
    id: str
    request_id: str
    target: str
    release_id: str | None
    reason: str
    documents: tuple[str, ...]
    filed_by: str
    filed_at: dt.datetime
    status: str
    resolution: str | None
    resolved_at: dt.datetime | None
    recall_needed: bool


@dataclass(frozen=True, kw_only=True)
class Accounting:
    """Everything the person may know about disclosures of their data, as of `generated_at`."""

    subject_ref: str
    name: str
    generated_at: dt.datetime
    opted_out: bool
    language: str
    disclosures: tuple[DisclosureView, ...]
    withheld: tuple[Withheld, ...]
    pending: tuple[PendingView, ...]
    challenges: tuple[ChallengeView, ...]
    #: The signed checkpoint the proofs are against; None before the first checkpoint.
    checkpoint: str | None


def _release_statuses(s: Session, release_ids: list[str]) -> dict[str, str]:
    """Release statuses from the release service, when it is installed."""
    if not release_ids:
        return {}
    try:
        releases = importlib.import_module("custos.workflow.releases")
    except ImportError:
        return {}
    status_of = getattr(releases, "status_of", None)
    if status_of is None:
        return {}
    return {str(k): str(v) for k, v in dict(status_of(s, release_ids)).items()}


def _accounting_entries(s: Session, subject_ref: str) -> list[AccountingEntry]:
    rows = s.execute(
        select(t.LedgerEntry.idx, t.LedgerEntry.body)
        .where(
            t.LedgerEntry.subject_ref == subject_ref,
            t.LedgerEntry.tag == EventTag.RELEASE_ACCOUNTING_ENTRY.value,
        )
        .order_by(t.LedgerEntry.idx)
    ).all()
    return [parse_entry(idx, bytes(body)) for idx, body in rows]


def _pending(ctx: Context, s: Session, person_id: str) -> list[PendingView]:
    """Requests in pre-release statuses naming the person with a notice-before obligation."""
    rows = s.execute(
        select(t.RequestSubject, t.Request, t.Requester.name)
        .join(t.Request, t.Request.id == t.RequestSubject.request_id)
        .join(t.Requester, t.Requester.id == t.Request.requester_id)
        .where(
            t.RequestSubject.person_id == person_id,
            t.RequestSubject.excluded.is_(False),
            t.Request.status.in_([x.value for x in UNRELEASED]),
        )
        .order_by(t.Request.submitted_at)
    ).all()
    out: list[PendingView] = []
    for subject, req, requester_name in rows:
        decisions = s.scalars(
            select(t.DecisionRow).where(
                t.DecisionRow.request_id == req.id,
                t.DecisionRow.class_key == subject.class_key,
            )
        ).all()
        fields = [
            d.field
            for d in decisions
            if d.effect != "withhold" and (d.obligations or {}).get("notify") == "before"
        ]
        if not fields:
            continue
        status = RequestStatus(req.status)
        received = req.submitted_at.date()
        out.append(
            PendingView(
                request_id=req.id,
                requester_name=requester_name,
                fields=tuple(fields),
                purpose=req.purpose,
                legal_process=(req.classified_process or req.legal_process)["kind"],
                received_on=received,
                challenge_by=challenge_deadline(req.submitted_at),
                status="on_hold" if status is RequestStatus.ON_HOLD else "pending",
            )
        )
    _ = ctx
    return out


def challenge_deadline(submitted_at: dt.datetime) -> dt.date:
    """The last day a person may challenge a request noticed before disclosure."""
    return submitted_at.date() + dt.timedelta(days=CHALLENGE_WINDOW_DAYS)


def _challenge_view(row: r.Challenge) -> ChallengeView:
    return ChallengeView(
        id=row.id,
        request_id=row.request_id,
        target=row.target,
        release_id=row.release_id,
        reason=row.reason,
        documents=tuple(row.documents),
        filed_by=row.filed_by,
        filed_at=row.filed_at,
        status=row.status,
        resolution=row.resolution,
        resolved_at=row.resolved_at,
        recall_needed=row.recall_needed,
    )


def _proofs(ctx: Context, subject_ref: str) -> tuple[str | None, dict[int, InclusionProof]]:
    try:
        checkpoint = ledger_service.latest_checkpoint(ctx)
    except NotFoundError:
        return None, {}
    proven = ledger_service.entries_for_subject(ctx, subject_ref, tree_size=checkpoint.size)
    return checkpoint.note, {
        p.index: InclusionProof(
            index=p.index, tree_size=p.tree_size, entry=p.body, inclusion=tuple(p.proof)
        )
        for p in proven
    }


def _build_accounting(ctx: Context, person_id: str) -> Accounting:
    today = ctx.today()
    ref = _ref(ctx, person_id)
    with ctx.reading() as s:
        person = _person(s, person_id)
        entries = _accounting_entries(s, ref)
        visible, withheld = split_visible(entries, today)
        statuses = _release_statuses(s, sorted({e.release_id for e in visible}))
        pending = _pending(ctx, s, person_id)
        challenges = s.scalars(
            select(r.Challenge)
            .where(r.Challenge.person_id == person_id)
            .order_by(r.Challenge.filed_at)
        ).all()
        name = f"{person.first_name} {person.last_name}"
        opted_out = person.opted_out
        language = _language(s, person_id)
        challenge_views = tuple(_challenge_view(c) for c in challenges)
    checkpoint, proofs = _proofs(ctx, ref) if visible else (None, {})
    return Accounting(
        subject_ref=ref,
        name=name,
        generated_at=ctx.now(),
        opted_out=opted_out,
        language=language,
        disclosures=tuple(
            DisclosureView(
                entry=e,
                status=disclosure_status(
                    statuses.get(e.release_id), e.retention_until, today
                ).value,
                proof=proofs.get(e.index),
            )
            for e in visible
        ),
        withheld=tuple(withheld),
        pending=tuple(pending),
        challenges=challenge_views,
        checkpoint=checkpoint,
    )


def accounting(ctx: Context, *, principal: PersonPrincipal) -> Accounting:
    """The signed-in person's own accounting of disclosures."""
    principal.require(PersonScope.VIEW)
    return _build_accounting(ctx, principal.person_id)


def accounting_for_staff(ctx: Context, *, actor: StaffPrincipal, person_id: str) -> Accounting:
    """Staff print a person's accounting for them (at a counter, by mail). The same view the
    person gets: entries under a running non-disclosure requirement stay withheld."""
    actor.require(*_PERSON_STAFF)
    return _build_accounting(ctx, person_id)


def accounting_json(acc: Accounting) -> dict[str, Any]:
    """The downloadable document (format `custos-accounting/1`), checkable offline with
    `custos person verify` and the log's verifier key."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return {
        "format": FORMAT,
        "person": acc.subject_ref,
        "generated_at": acc.generated_at.isoformat(),
        "opted_out": acc.opted_out,
        "disclosures": [
            {
                "date": d.entry.disclosed_at.date().isoformat(),
                "request_id": d.entry.request_id,
                "release_id": d.entry.release_id,
                "recipient": d.entry.requester_name,
                "recipient_kind": d.entry.requester_kind,
                "fields": list(d.entry.fields),
                "generalized": list(d.entry.generalized),
                "legal_process": d.entry.legal_process,
                "purpose": d.entry.purpose,
                "rule_ids": list(d.entry.rule_ids),
                "citations": list(d.entry.citations),
                "compelled": d.entry.compelled,
                "basis": "required by law" if d.entry.compelled else "discretionary",
                "retention_until": d.entry.retention_until.isoformat()
                if d.entry.retention_until
                else None,
                "status": d.status,
                "proof": {
                    "index": d.proof.index,
                    "tree_size": d.proof.tree_size,
                    "entry": b64(d.proof.entry),
                    "inclusion": [b64(h) for h in d.proof.inclusion],
                }
                if d.proof
                else None,
            }
            for d in acc.disclosures
        ],
        "withheld": [
            {
                "count": w.count,
                "until": w.until.isoformat(),
                "message": withheld_message(w),
            }
            for w in acc.withheld
        ],
        "pending": [
            {
                "request_id": p.request_id,
                "requester": p.requester_name,
                "fields": list(p.fields),
                "purpose": p.purpose,
                "legal_process": p.legal_process,
                "received_on": p.received_on.isoformat(),
                "challenge_by": p.challenge_by.isoformat(),
                "status": p.status,
            }
            for p in acc.pending
        ],
        "challenges": [
            {
                "id": c.id,
                "request_id": c.request_id,
                "target": c.target,
                "status": c.status,
                "filed_at": c.filed_at.isoformat(),
                "resolution": c.resolution,
                "resolved_at": c.resolved_at.isoformat() if c.resolved_at else None,
            }
            for c in acc.challenges
        ],
        "proof": {"checkpoint": acc.checkpoint},
    }


def withheld_message(w: Withheld) -> str:
    noun = "disclosure is" if w.count == 1 else "disclosures are"
    return f"{w.count} {noun} temporarily withheld until {w.until.isoformat()}"


def accounting_letter(acc: Accounting, *, pdf: bool = False) -> str | bytes:
    """The accounting as a printable letter (HTML with print CSS, or PDF)."""
    data = {
        "name": acc.name,
        "today": acc.generated_at.date().isoformat(),
        "since": None,
        "withheld": [{"count": w.count, "until": w.until.isoformat()} for w in acc.withheld],
        "disclosures": [
            {
                "date": d.entry.disclosed_at.date().isoformat(),
                "requester_name": d.entry.requester_name,
                "fields": d.entry.fields,
                "legal_process": d.entry.legal_process,
                "purpose": d.entry.purpose,
                "compelled": d.entry.compelled,
                "citations": d.entry.citations,
                "retention_until": d.entry.retention_until.isoformat()
                if d.entry.retention_until
                else None,
                "status": d.status,
            }
            for d in acc.disclosures
        ],
        "pending": [
            {
                "requester_name": p.requester_name,
                "fields": p.fields,
                "challenge_by": p.challenge_by.isoformat(),
                "status": p.status,
            }
            for p in acc.pending
        ],
    }
    if pdf:
        return render_pdf(NoticeKind.ACCOUNTING, acc.language, data)
    return render_html(NoticeKind.ACCOUNTING, acc.language, data)


def withheld_summary(ctx: Context) -> list[Withheld]:
    """Counts of entries withheld today under delayed notice, by end date, across everyone:
    for the public transparency report (no person is named)."""
    today = ctx.today()
    with ctx.reading() as s:
        rows = s.execute(
            select(t.LedgerEntry.idx, t.LedgerEntry.body).where(
                t.LedgerEntry.tag == EventTag.RELEASE_ACCOUNTING_ENTRY.value
            )
        ).all()
    _, withheld = split_visible([parse_entry(i, bytes(b)) for i, b in rows], today)
    return withheld


# --- challenges -----------------------------------------------------------------------------


class ChallengeOutcome(StrEnum):
    UPHELD = "upheld"
    REJECTED = "rejected"


@dataclass(frozen=True, kw_only=True)
class ChallengeDocument:
    filename: str
    content_type: str
    content: bytes


def _open_requests_about(s: Session, person_id: str) -> list[str]:
    return list(
        s.scalars(
            select(t.Request.id)
            .join(t.RequestSubject, t.RequestSubject.request_id == t.Request.id)
            .where(
                t.RequestSubject.person_id == person_id,
                t.RequestSubject.excluded.is_(False),
                t.Request.status.in_([x.value for x in UNRELEASED]),
            )
            .distinct()
        )
    )


def file_challenge(
    ctx: Context,
    *,
    principal: PersonPrincipal,
    request_id: str,
    reason: str,
    attachments: list[ChallengeDocument] | None = None,
) -> ChallengeView:
    """Challenge a pending request or a past disclosure of the person's own data.

    Every pending request about the person goes `on_hold` until a legal reviewer resolves the
    challenge: nothing about them can be released meanwhile. A request the person cannot see
    (not theirs, or not noticed to them) reads as missing.
    """
    principal.require(PersonScope.CHALLENGE)
    text = reason.strip()
    files = list(attachments or [])
    problems = []
    if not text or len(text) > MAX_REASON_CHARS:
        problems.append(FieldProblem(path="reason", message=f"1 to {MAX_REASON_CHARS} characters"))
    if len(files) > MAX_CHALLENGE_DOCUMENTS:
        problems.append(
            FieldProblem(path="documents", message=f"at most {MAX_CHALLENGE_DOCUMENTS}")
        )
    for i, f in enumerate(files):
        signature = CHALLENGE_DOCUMENT_TYPES.get(f.content_type)
        if not f.content or len(f.content) > MAX_CHALLENGE_DOCUMENT_BYTES:
            problems.append(FieldProblem(path=f"documents[{i}]", message="1 byte to 5 MiB"))
        elif signature is None or not f.content.startswith(signature):
            problems.append(FieldProblem(path=f"documents[{i}]", message="a PDF, PNG or JPEG file"))
    if problems:
        raise InvalidInputError("the challenge is invalid", problems)
    with ctx.transaction() as s:
        person = _person(s, principal.person_id, lock=True)
        target, release_id = _challenge_target(ctx, s, person.id, principal.subject_ref, request_id)
        duplicate = s.scalar(
            select(r.Challenge.id).where(
                r.Challenge.person_id == person.id,
                r.Challenge.request_id == request_id,
                r.Challenge.status == "open",
            )
        )
        if duplicate is not None:
            raise ConflictError("you already have an open challenge of this request")
        shas = [
            documents.store(
                ctx, s, content=f.content, filename=f.filename, content_type=f.content_type
            )
            for f in files
        ]
        challenge_id = new_id("chl")
        held = [
            rid
            for rid in _open_requests_about(s, person.id)
            if requests.hold(
                ctx, s, request_id=rid, actor=principal.actor, reason=f"challenge {challenge_id}"
            )
        ]
        row = r.Challenge(
            id=challenge_id,
            person_id=person.id,
            request_id=request_id,
            target=target,
            release_id=release_id,
            reason=text,
            documents=shas,
            filed_by=principal.actor,
            filed_at=ctx.now(),
            status="open",
            held_requests=held,
        )
        s.add(row)
        s.flush()
        _append(
            ctx,
            s,
            EventTag.PERSON_CHALLENGE_FILE,
            principal.actor,
            subject_ref=principal.subject_ref,
            request_id=request_id,
            challenge=row.id,
            target=target,
            release=release_id,
            documents=shas,
            held=held,
        )
        return _challenge_view(row)


def _challenge_target(
    ctx: Context, s: Session, person_id: str, subject_ref: str, request_id: str
) -> tuple[str, str | None]:
    if any(p.request_id == request_id for p in _pending(ctx, s, person_id)):
        return "pending", None
    visible, _ = split_visible(_accounting_entries(s, subject_ref), ctx.today())
    for e in visible:
        if e.request_id == request_id:
            return "disclosure", e.release_id
    raise NotFoundError("no such request")


#: Days a recipient has to destroy a release recalled by an upheld challenge.
RECALL_DAYS = 30


def _recall_after_commit(
    ctx: Context, *, actor: StaffPrincipal, challenge_id: str, release_id: str
) -> bool:
    """Ask the release service to recall a delivered release (in its own transaction, which it
    owns). Until it confirms, the challenge keeps `recall_needed`, so a failure is visible in
    the challenge queue and nothing is silently dropped. Returns whether the recall was issued.
    """
    try:
        releases = importlib.import_module("custos.workflow.releases")
    except ImportError:
        return False
    recall = getattr(releases, "recall", None)
    if recall is None:
        return False
    try:
        recall(
            ctx,
            actor=actor,
            release_id=release_id,
            reason=f"challenge {challenge_id} upheld",
            destroy_by=ctx.today() + dt.timedelta(days=RECALL_DAYS),
        )
    except CustosError:
        return False
    with ctx.transaction() as s:
        row = s.get(r.Challenge, challenge_id)
        if row is not None:
            row.recall_needed = False
    return True


def resolve_challenge(
    ctx: Context,
    *,
    actor: StaffPrincipal,
    challenge_id: str,
    outcome: ChallengeOutcome,
    reason: str,
) -> ChallengeView:
    """A legal reviewer upholds or rejects a challenge, with a reason the person is sent.

    Upheld on a pending request: the person is excluded from it (releases skip them).
    Upheld on a delivered disclosure: once the resolution commits, the release service
    recalls the release (it owns that transaction); until it confirms, the challenge shows
    `recall_needed`. Either way the requests the challenge held go
    back to review — unless another open challenge still holds them — and approvals given
    before the hold no longer count.
    """
    actor.require(Role.LEGAL_REVIEWER)
    if not reason.strip():
        raise InvalidInputError(
            "a resolution needs a reason", [FieldProblem(path="reason", message="required")]
        )
    with ctx.transaction() as s:
        row = s.scalar(select(r.Challenge).where(r.Challenge.id == challenge_id).with_for_update())
        if row is None:
            raise NotFoundError("no such challenge")
        if row.status != "open":
            raise ConflictError("this challenge is already resolved")
        person = _person(s, row.person_id)
        recall: str | None = None
        if outcome is ChallengeOutcome.UPHELD and row.target == "pending":
            for subject in s.scalars(
                select(t.RequestSubject).where(
                    t.RequestSubject.request_id == row.request_id,
                    t.RequestSubject.person_id == row.person_id,
                )
            ):
                subject.excluded = True
        elif outcome is ChallengeOutcome.UPHELD and row.release_id is not None:
            recall = "requested"
            row.recall_needed = True
        row.status = outcome.value
        row.resolution = reason.strip()
        row.resolved_by = actor.id
        row.resolved_at = ctx.now()
        s.flush()
        resumed = _release_holds(ctx, s, row, actor.actor)
        ref = _ref(ctx, person.id)
        _append(
            ctx,
            s,
            EventTag.PERSON_CHALLENGE_RESOLVE,
            actor.actor,
            subject_ref=ref,
            request_id=row.request_id,
            challenge=row.id,
            outcome=outcome.value,
            recall=recall,
            resumed=resumed,
        )
        _queue_notice(
            ctx,
            s,
            person,
            NoticeKind.CHALLENGE_OUTCOME,
            source_key=f"challenge:{row.id}",
            data={
                "challenge_id": row.id,
                "filed_on": row.filed_at.date().isoformat(),
                "outcome": outcome.value,
                "target": row.target,
                "reason": row.resolution,
            },
        )
        view = _challenge_view(row)
    if recall is not None and view.release_id is not None:
        issued = _recall_after_commit(
            ctx, actor=actor, challenge_id=view.id, release_id=view.release_id
        )
        view = dataclasses.replace(view, recall_needed=not issued)
    return view


def _release_holds(ctx: Context, s: Session, row: r.Challenge, actor: str) -> list[str]:
    still_held = {
        rid
        for other in s.scalars(select(r.Challenge).where(r.Challenge.status == "open"))
        for rid in other.held_requests
    }
    resumed = []
    for rid in row.held_requests:
        req = s.get(t.Request, rid)
        if req is None or rid in still_held or req.status != RequestStatus.ON_HOLD.value:
            continue
        requests.resume(ctx, s, request_id=rid, actor=actor, reason=f"challenge {row.id} resolved")
        resumed.append(rid)
    return resumed


def challenge_queue(
    ctx: Context, *, actor: StaffPrincipal, status: str | None = "open"
) -> list[ChallengeView]:
    """Challenges for legal review, oldest first."""
    actor.require(Role.LEGAL_REVIEWER, Role.AUDITOR)
    with ctx.reading() as s:
        q = select(r.Challenge).order_by(r.Challenge.filed_at)
        if status is not None:
            q = q.where(r.Challenge.status == status)
        return [_challenge_view(c) for c in s.scalars(q)]


def get_challenge(ctx: Context, *, principal: PersonPrincipal, challenge_id: str) -> ChallengeView:
    principal.require(PersonScope.VIEW)
    with ctx.reading() as s:
        row = s.get(r.Challenge, challenge_id)
        if row is None or row.person_id != principal.person_id:
            raise NotFoundError("no such challenge")
        return _challenge_view(row)


# --- opt-out --------------------------------------------------------------------------------


def set_opt_out(ctx: Context, *, principal: PersonPrincipal, opted_out: bool) -> bool:
    """Opt out of discretionary sharing (or back in), effective at once: policy reads the
    flag through `records.facts_for`, and every request about the person not yet released is
    decided again in the same transaction (approvals of the old decision stop counting).
    Compelled disclosures remain possible and are labelled so in the accounting. Returns
    whether anything changed."""
    principal.require(PersonScope.OPT_OUT)
    pack = ctx.active_pack()
    with ctx.transaction() as s:
        person = _person(s, principal.person_id, lock=True)
        if person.opted_out == opted_out:
            return False
        person.opted_out = opted_out
        _append(
            ctx,
            s,
            EventTag.PERSON_OPTOUT_SET if opted_out else EventTag.PERSON_OPTOUT_CLEAR,
            principal.actor,
            subject_ref=principal.subject_ref,
        )
        s.flush()
        requests.redecide_for_person(
            ctx,
            s,
            person_id=person.id,
            actor=principal.actor,
            reason="opt-out" if opted_out else "opt-in",
            pack=pack,
        )
        now = ctx.now()
        _queue_notice(
            ctx,
            s,
            person,
            NoticeKind.OPT_OUT_CONFIRMATION,
            source_key=f"optout:{person.id}:{new_id('opt')}",
            data={"opted_out": opted_out, "effective_on": now.date().isoformat()},
        )
        return True


def _set_language(s: Session, person_id: str, language: str) -> None:
    pref = s.get(r.PersonPreference, person_id)
    if pref is None:
        s.add(r.PersonPreference(person_id=person_id, language=language))
    else:
        pref.language = language


def set_language(ctx: Context, *, principal: PersonPrincipal, language: str) -> None:
    """The language of the person's future letters (English or Spanish)."""
    principal.require(PersonScope.VIEW)
    check_language(language)
    with ctx.transaction() as s:
        _set_language(s, principal.person_id, language)


# --- notices --------------------------------------------------------------------------------


def _letter_data(s: Session, person: t.Person, ctx: Context) -> dict[str, Any]:
    household = s.get(t.Household, person.household_id)
    address = (
        f"{household.street}\n{household.city}, MO {household.zip}" if household is not None else ""
    )
    return {
        "name": f"{person.first_name} {person.last_name}",
        "address": address,
        "today": ctx.today().isoformat(),
    }


def _queue_notice(
    ctx: Context,
    s: Session,
    person: t.Person,
    kind: NoticeKind,
    *,
    source_key: str,
    data: dict[str, Any],
    language: str | None = None,
) -> r.Notice | None:
    """Queue a letter once per `source_key` and log it; None when it was already queued."""
    if s.scalar(select(r.Notice.id).where(r.Notice.source_key == source_key)) is not None:
        return None
    lang = language or _language(s, person.id)
    row = r.Notice(
        id=new_id("ntc"),
        person_id=person.id,
        kind=kind.value,
        language=lang,
        source_key=source_key,
        data=data,
        created_at=ctx.now(),
        status="queued",
    )
    s.add(row)
    s.flush()
    _append(
        ctx,
        s,
        EventTag.PERSON_NOTICE_GENERATE,
        "system",
        subject_ref=_ref(ctx, person.id),
        notice=row.id,
        kind=kind.value,
        language=lang,
    )
    return row


def sweep_notices_as(ctx: Context, *, actor: StaffPrincipal) -> int:
    """`sweep_notices` started by a member of staff (intake, admin)."""
    actor.require(*_NOTICE_STAFF)
    return sweep_notices(ctx)


def sweep_notices(ctx: Context) -> int:
    """Queue the letters due now: `disclosure_made` for every visible accounting entry whose
    pack obligation is to notify, and `disclosure_pending` for every request noticed before
    disclosure. Idempotent; a delayed entry's letter is queued once its date has passed.
    Serving runs it on a schedule (`custos.workflow.housekeeping`), so no letter waits for
    someone to remember it; staff can also run it at once.

    Cost: the log's accounting entries are read page by page from a snapshot, checking which
    letters exist already a page at a time, and only requests with a notify-before obligation
    are looked at for people; the write transaction that queues the letters holds only what is
    new, so a sweep that finds nothing to do blocks no one.
    """
    today = ctx.today()
    with ctx.reading() as s:
        made = _letters_made_due(s, today)
        pending_people = _people_with_pending_letters_due(s)
    queued = 0
    with ctx.transaction() as s:
        refs: dict[str, str] = {}
        for idx, ref, data in made:
            if ref not in refs:
                refs.update(_people_by_ref(ctx, s, ref))
            person_id = refs.get(ref)
            if person_id is None:
                continue
            key = f"entry:{idx}"
            person = _person(s, person_id)
            if _queue_notice(ctx, s, person, NoticeKind.DISCLOSURE_MADE, source_key=key, data=data):
                queued += 1
        for person_id in pending_people:
            person = _person(s, person_id)
            for p in _pending(ctx, s, person_id):
                data = {
                    "requester_name": p.requester_name,
                    "fields": list(p.fields),
                    "purpose": p.purpose,
                    "legal_process": p.legal_process,
                    "challenge_by": p.challenge_by.isoformat(),
                }
                key = f"pending:{p.request_id}:{person_id}"
                if _queue_notice(
                    ctx, s, person, NoticeKind.DISCLOSURE_PENDING, source_key=key, data=data
                ):
                    queued += 1
    return queued


#: Rows read, and letters looked up, at a time by a sweep.
_SWEEP_PAGE = 1000


def _queued_keys(s: Session, keys: Sequence[str]) -> set[str]:
    """Which of `keys` name letters already queued."""
    return set(s.scalars(select(r.Notice.source_key).where(r.Notice.source_key.in_(keys))))


def _letters_made_due(s: Session, today: dt.date) -> list[tuple[int, str, dict[str, Any]]]:
    """(entry index, person's pseudonym, letter data) for each accounting entry whose letter
    is due today and not yet queued."""
    out: list[tuple[int, str, dict[str, Any]]] = []
    after = -1
    while True:
        page = s.execute(
            select(t.LedgerEntry.idx, t.LedgerEntry.body, t.LedgerEntry.subject_ref)
            .where(
                t.LedgerEntry.tag == EventTag.RELEASE_ACCOUNTING_ENTRY.value,
                t.LedgerEntry.idx > after,
            )
            .order_by(t.LedgerEntry.idx)
            .limit(_SWEEP_PAGE)
        ).all()
        if not page:
            return out
        after = page[-1][0]
        done = _queued_keys(s, [f"entry:{idx}" for idx, _, _ in page])
        for idx, body, ref in page:
            if ref is None or f"entry:{idx}" in done:
                continue
            entry = parse_entry(idx, bytes(body))
            if entry.notify == "none" or not entry.visible_on(today):
                continue
            data = {
                "disclosed_on": entry.disclosed_at.date().isoformat(),
                "requester_name": entry.requester_name,
                "fields": list(entry.fields),
                "legal_process": entry.legal_process,
                "purpose": entry.purpose,
                "citations": list(entry.citations),
                "compelled": entry.compelled,
                "retention_until": entry.retention_until.isoformat()
                if entry.retention_until
                else None,
            }
            out.append((idx, ref, data))


def _people_with_pending_letters_due(s: Session) -> list[str]:
    """People named in an unreleased request whose decisions must be noticed before release
    (see `_pending`), and who have not yet been sent that letter."""
    unreleased = list(
        s.scalars(select(t.Request.id).where(t.Request.status.in_([x.value for x in UNRELEASED])))
    )
    noticed: set[tuple[str, str]] = set()
    for start in range(0, len(unreleased), _SWEEP_PAGE):
        for request_id, class_key, effect, obligations in s.execute(
            select(
                t.DecisionRow.request_id,
                t.DecisionRow.class_key,
                t.DecisionRow.effect,
                t.DecisionRow.obligations,
            ).where(t.DecisionRow.request_id.in_(unreleased[start : start + _SWEEP_PAGE]))
        ):
            if effect != "withhold" and (obligations or {}).get("notify") == "before":
                noticed.add((request_id, class_key))
    people: dict[str, None] = {}
    for request_id in sorted({rid for rid, _ in noticed}):
        subjects = [
            (person_id, f"pending:{request_id}:{person_id}")
            for person_id, class_key in s.execute(
                select(t.RequestSubject.person_id, t.RequestSubject.class_key).where(
                    t.RequestSubject.request_id == request_id,
                    t.RequestSubject.person_id.is_not(None),
                    t.RequestSubject.excluded.is_(False),
                )
            )
            if person_id is not None and (request_id, class_key) in noticed
        ]
        for start in range(0, len(subjects), _SWEEP_PAGE):
            page = subjects[start : start + _SWEEP_PAGE]
            done = _queued_keys(s, [key for _, key in page])
            people.update((person_id, None) for person_id, key in page if key not in done)
    return list(people)


def _people_by_ref(ctx: Context, s: Session, ref: str) -> dict[str, str]:
    """The person behind a pseudonym, found through the requests that named them."""
    for (pid,) in s.execute(
        select(t.RequestSubject.person_id)
        .where(t.RequestSubject.subject_ref == ref, t.RequestSubject.person_id.is_not(None))
        .limit(1)
    ):
        if pid is not None and _ref(ctx, pid) == ref:
            return {ref: pid}
    return {}


@dataclass(frozen=True, kw_only=True)
class NoticeView:
    id: str
    person_id: str
    kind: NoticeKind
    language: str
    created_at: dt.datetime
    status: str
    sent_at: dt.datetime | None


def _notice_view(row: r.Notice) -> NoticeView:
    return NoticeView(
        id=row.id,
        person_id=row.person_id,
        kind=NoticeKind(row.kind),
        language=row.language,
        created_at=row.created_at,
        status=row.status,
        sent_at=row.sent_at,
    )


def notice_queue(
    ctx: Context, *, actor: StaffPrincipal, status: str | None = "queued", limit: int = 500
) -> list[NoticeView]:
    actor.require(*_NOTICE_STAFF)
    with ctx.reading() as s:
        q = select(r.Notice).order_by(r.Notice.created_at).limit(limit)
        if status is not None:
            q = q.where(r.Notice.status == status)
        return [_notice_view(n) for n in s.scalars(q)]


def render_notice(
    ctx: Context, *, actor: StaffPrincipal, notice_id: str, pdf: bool = False
) -> str | bytes:
    """A queued letter, rendered for printing (an access code letter shows a placeholder: the
    code itself is printed only when it is issued)."""
    actor.require(*_NOTICE_STAFF)
    with ctx.reading() as s:
        row = s.get(r.Notice, notice_id)
        if row is None:
            raise NotFoundError("no such notice")
        person = _person(s, row.person_id)
        data = {**_letter_data(s, person, ctx), **row.data, "reference": row.id}
        kind, language = NoticeKind(row.kind), row.language
    if kind is NoticeKind.ACCESS_CODE:
        data["code"] = "(printed when issued)" if language == "en" else "(impreso al emitirse)"
    return render_pdf(kind, language, data) if pdf else render_html(kind, language, data)


def mark_notice_sent(ctx: Context, *, actor: StaffPrincipal, notice_id: str) -> NoticeView:
    actor.require(*_NOTICE_STAFF)
    with ctx.transaction() as s:
        row = s.scalar(select(r.Notice).where(r.Notice.id == notice_id).with_for_update())
        if row is None:
            raise NotFoundError("no such notice")
        if row.status == "sent":
            raise ConflictError("this notice is already marked sent")
        row.status = "sent"
        row.sent_at = ctx.now()
        row.sent_by = actor.id
        _append(
            ctx,
            s,
            EventTag.PERSON_NOTICE_SEND,
            actor.actor,
            subject_ref=_ref(ctx, row.person_id),
            notice=row.id,
            kind=row.kind,
        )
        return _notice_view(row)


# --- public concerns ------------------------------------------------------------------------

MAX_CONCERN_CHARS = 10_000
_ACK_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"


class ConcernPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    URGENT = "urgent"


@dataclass(frozen=True, kw_only=True)
class ConcernView:
    id: str
    acknowledgement: str
    description: str
    contact: str
    received_at: dt.datetime
    status: str
    priority: str | None
    triage_note: str | None
    triaged_at: dt.datetime | None


def _concern_view(row: r.Concern) -> ConcernView:
    return ConcernView(
        id=row.id,
        acknowledgement=row.acknowledgement,
        description=row.description,
        contact=row.contact,
        received_at=row.received_at,
        status=row.status,
        priority=row.priority,
        triage_note=row.triage_note,
        triaged_at=row.triaged_at,
    )


def report_concern(ctx: Context, *, description: str, contact: str = "") -> str:
    """Anyone reports suspected unauthorized sharing; returns the acknowledgement number.

    No sign-in: a reporter may be a neighbour, a caseworker or the person. The text goes to
    the privacy officer's triage queue; the log records only that a report arrived.
    """
    text = description.strip()
    problems = []
    if not text or len(text) > MAX_CONCERN_CHARS:
        problems.append(
            FieldProblem(path="description", message=f"1 to {MAX_CONCERN_CHARS} characters")
        )
    if len(contact) > 200:  # noqa: PLR2004 - the column's width
        problems.append(FieldProblem(path="contact", message="at most 200 characters"))
    if problems:
        raise InvalidInputError("the report is invalid", problems)
    ack = "CN-" + "".join(secrets.choice(_ACK_ALPHABET) for _ in range(10))
    with ctx.transaction() as s:
        row = r.Concern(
            id=new_id("cnc"),
            acknowledgement=ack,
            description=text,
            contact=contact.strip(),
            received_at=ctx.now(),
            status="received",
        )
        s.add(row)
        s.flush()
        _append(ctx, s, EventTag.CONCERN_REPORT_RECEIVE, "public", concern=row.id)
    return ack


def concern_status(ctx: Context, *, acknowledgement: str) -> str:
    """The status of a report, for whoever holds its acknowledgement number."""
    with ctx.reading() as s:
        status = s.scalar(
            select(r.Concern.status).where(r.Concern.acknowledgement == acknowledgement.strip())
        )
        if status is None:
            raise NotFoundError("no report has this acknowledgement number")
        return status


def concern_queue(
    ctx: Context, *, actor: StaffPrincipal, status: str | None = "received"
) -> list[ConcernView]:
    actor.require(*_CONCERN_STAFF)
    with ctx.reading() as s:
        q = select(r.Concern).order_by(r.Concern.received_at)
        if status is not None:
            q = q.where(r.Concern.status == status)
        return [_concern_view(c) for c in s.scalars(q)]


def triage_concern(
    ctx: Context,
    *,
    actor: StaffPrincipal,
    concern_id: str,
    priority: ConcernPriority,
    note: str,
    close: bool = False,
) -> ConcernView:
    actor.require(*_CONCERN_STAFF)
    if not note.strip():
        raise InvalidInputError(
            "triage needs a note", [FieldProblem(path="note", message="required")]
        )
    with ctx.transaction() as s:
        row = s.scalar(select(r.Concern).where(r.Concern.id == concern_id).with_for_update())
        if row is None:
            raise NotFoundError("no such concern")
        if row.status == "closed":
            raise ConflictError("this concern is closed")
        row.status = "closed" if close else "triaged"
        row.priority = priority.value
        row.triage_note = note.strip()
        row.triaged_by = actor.id
        row.triaged_at = ctx.now()
        _append(
            ctx,
            s,
            EventTag.CONCERN_REPORT_TRIAGE,
            actor.actor,
            concern=row.id,
            priority=priority.value,
            status=row.status,
        )
        return _concern_view(row)


def find_person(ctx: Context, *, actor: StaffPrincipal, case_number: str) -> list[str]:
    """Person ids with this DCN or household case number (staff acting on a person's behalf)."""
    actor.require(*_PERSON_STAFF)
    cn = normalize_case_number(case_number)
    with ctx.reading() as s:
        return list(
            s.scalars(
                select(t.Person.id)
                .join(t.Household, t.Household.id == t.Person.household_id)
                .where(or_(t.Person.dcn == cn, t.Household.case_number == cn))
                .order_by(t.Person.id)
            )
        )
