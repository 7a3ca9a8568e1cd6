"""How a person (or a representative for them) signs in: access codes, OIDC, sessions.

*Neither confirm nor deny*: a sign-in failure reads the same whether the case number exists
or not, and lockouts count case numbers that do not exist exactly like those that do (the
policy is in `custos.rights._lockout`). Codes and session secrets are stored only hashed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.domain.errors import AuthenticationError, FieldProblem, InvalidInputError
from custos.domain.events import EventTag
from custos.domain.permissions import Action, require
from custos.domain.principals import StaffPrincipal
from custos.rights import (
    ALL_SCOPES,
    SIGNIN_FAILED,
    NoticeKind,
    OidcVerifier,
    PersonPrincipal,
    PersonScope,
    SignInLockedError,
    check_language,
    consent_live,
    generate_code,
    lock_until,
    locked_message,
    normalize_case_number,
    normalize_code,
    render_html,
    still_locked,
)
from custos.store import rights_tables as r
from custos.workflow import bearer
from custos.workflow._ids import new_id
from custos.workflow.context import Context
from custos.workflow.hashing import dummy_hash, hash_secret, verify_secret
from custos.workflow.journal import record
from custos.workflow.rights.notices import queue_notice
from custos.workflow.rights.people import (
    candidates,
    language_of,
    letter_data,
    load_person,
    store_language,
    subject_ref,
)

#: Days an access code stays valid after it is issued.
ACCESS_CODE_DAYS = 30
#: Lifetime of a person's or representative's session.
PERSON_SESSION_MINUTES = 60


# --- access codes ---------------------------------------------------------------------------


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
    require(actor, Action.ACCESS_CODE_ISSUE)
    if language is not None:
        check_language(language)
    code = generate_code()
    with ctx.transaction() as s:
        person = load_person(s, person_id, lock=True)
        now = ctx.now()
        _revoke_unused_codes(s, person.id, now)
        if language is not None:
            store_language(s, person.id, language)
        lang = language or language_of(s, person.id)
        expires = now + dt.timedelta(days=ACCESS_CODE_DAYS)
        code_id = _store_code(ctx, s, actor, person.id, code, now=now, expires=expires)
        data = {"expires_on": expires.date().isoformat()}
        notice = queue_notice(
            ctx,
            s,
            person,
            NoticeKind.ACCESS_CODE,
            source_key=f"code:{code_id}",
            data=data,
            language=lang,
        )
        assert notice is not None  # a fresh code id is a fresh source key
        letter = render_html(
            NoticeKind.ACCESS_CODE, lang, {**letter_data(s, person, ctx), **data, "code": code}
        )
        return IssuedCode(code=code, expires_at=expires, notice_id=notice.id, letter_html=letter)


def _revoke_unused_codes(s: Session, person_id: str, now: dt.datetime) -> None:
    for old in s.scalars(
        select(r.PersonAccessCode).where(
            r.PersonAccessCode.person_id == person_id,
            r.PersonAccessCode.used_at.is_(None),
            r.PersonAccessCode.revoked_at.is_(None),
        )
    ):
        old.revoked_at = now


def _store_code(
    ctx: Context,
    s: Session,
    actor: StaffPrincipal,
    person_id: str,
    code: str,
    *,
    now: dt.datetime,
    expires: dt.datetime,
) -> str:
    """Store the code's hash and log its issue; returns the code's row id."""
    row = r.PersonAccessCode(
        id=new_id("acc"),
        person_id=person_id,
        code_hash=hash_secret(normalize_code(code)),
        issued_by=actor.id,
        created_at=now,
        expires_at=expires,
    )
    s.add(row)
    s.flush()
    record(
        ctx,
        s,
        EventTag.PERSON_ACCESS_CODE_ISSUE,
        actor.actor,
        subject_ref=subject_ref(ctx, person_id),
        code=row.id,
        expires=expires.date().isoformat(),
    )
    return row.id


# --- sessions -------------------------------------------------------------------------------


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


def open_session(
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
    """Open a session for the person (or a representative acting within a consent, never
    past its end); the bearer token is returned once and stored only hashed."""
    minted = bearer.new_session("pss")
    now = ctx.now()
    expires = now + dt.timedelta(minutes=PERSON_SESSION_MINUTES)
    if expires_at is not None:
        expires = min(expires, expires_at)
    chosen = frozenset(scopes)
    s.add(
        r.PersonSession(
            id=minted.row_id,
            person_id=person_id,
            method=method,
            representative_id=representative_id,
            consent_id=consent_id,
            scopes=sorted(sc.value for sc in chosen),
            secret_hash=minted.secret_hash,
            created_at=now,
            expires_at=expires,
        )
    )
    return OpenedSession(
        token=minted.token,
        expires_at=expires,
        principal=PersonPrincipal(
            person_id=person_id,
            subject_ref=subject_ref(ctx, person_id),
            scopes=chosen,
            representative_id=representative_id,
            consent_id=consent_id,
        ),
    )


def _throttle_key(ctx: Context, case_number: str) -> str:
    return hmac.new(
        ctx.settings.pseudonym_key, b"signin:" + case_number.encode(), hashlib.sha256
    ).hexdigest()


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
            raise AuthenticationError(SIGNIN_FAILED)
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
                if still_locked(throttle.locked_until, now):
                    raise SignInLockedError(locked_message(throttle.locked_until))
                throttle.failures, throttle.locked_until = 0, None
            # 2.–3. Find a live code among the people this case number and birth date name.
            person_id = self._match(s, case_number, birth_date, code, now)
            if person_id is None:
                # 4. Count the failure; it must commit even though the sign-in fails.
                failure = self._fail(ctx, s, key, throttle, now)
            else:
                if throttle is not None:
                    s.delete(throttle)
                opened = open_session(ctx, s, person_id=person_id, method=self.method)
        if failure is not None:
            raise failure
        assert opened is not None
        return opened

    @staticmethod
    def _match(
        s: Session, case_number: str, birth_date: dt.date, code: str, now: dt.datetime
    ) -> str | None:
        people = candidates(s, case_number, birth_date)
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
            verify_secret(dummy_hash("access-code"), code)
            return None
        for row in rows:
            if not verify_secret(row.code_hash, code):
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
        until = lock_until(throttle.failures, now)
        if until is None:
            return AuthenticationError(SIGNIN_FAILED)
        throttle.locked_until = until
        # The log names the throttle key's prefix, not a case number or a person.
        record(
            ctx,
            s,
            EventTag.PERSON_SIGNIN_LOCKOUT,
            "system",
            key=key[:16],
            until=until.isoformat(),
        )
        return SignInLockedError(locked_message(until))


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
            people = candidates(s, normalize_case_number(identity.case_number), identity.birth_date)
            if len(people) != 1:
                raise AuthenticationError("the identity provider's sign-in is not valid")
            return open_session(ctx, s, person_id=people[0], method=self.method)


def person_from_session(ctx: Context, token: str) -> PersonPrincipal:
    """Authenticate a person's (or representative's) bearer session. Every failure reads the
    same; a representative's session ends as soon as the consent is revoked or expires."""
    with ctx.reading() as s:
        sess = bearer.held(s, r.PersonSession, token)
        if sess is None:
            raise AuthenticationError("the session is not valid")
        if sess.revoked_at is not None or sess.expires_at <= ctx.now():
            raise AuthenticationError("the session has expired; sign in again")
        if sess.consent_id is not None:
            consent = s.get(r.RepresentativeConsent, sess.consent_id)
            rep = s.get(r.Representative, sess.representative_id or "")
            if consent is None or not consent_live(
                consent.revoked_at, consent.expires_at, ctx.now()
            ):
                raise AuthenticationError("the consent has ended")
            if rep is None or not rep.active:
                raise AuthenticationError("the session is not valid")
        return PersonPrincipal(
            person_id=sess.person_id,
            subject_ref=subject_ref(ctx, sess.person_id),
            scopes=frozenset(PersonScope(x) for x in sess.scopes),
            representative_id=sess.representative_id,
            consent_id=sess.consent_id,
        )


def sign_out(ctx: Context, token: str) -> None:
    bearer.split(token)  # a malformed token is refused before any transaction
    with ctx.transaction() as s:
        sess = bearer.held(s, r.PersonSession, token)
        if sess is not None:
            sess.revoked_at = ctx.now()
