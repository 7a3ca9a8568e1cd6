"""Who is signed in to the pages: staff, a requester agency, or a person.

Each audience has its own HttpOnly cookie holding an opaque, server-checked secret:

- staff: the session token of `staff_sessions.sign_in` (server-side, 8 hours, revocable); an
  administrator without a second factor reaches only the enrolment page (`EnrollingStaff`);
- requesting officers: the session token of `portal_sessions.sign_in` (server-side, idle and
  absolute expiry, deleted at sign-out); the agency's API token is for machine clients only
  and never kept in a cookie;
- people: the session token of the rights sign-in (server-side, 60 minutes);
- representatives: their token, entered once, kept in a signed cookie like a requester's; to
  act for a person they open that person's session (`rights.act_for`), held in the people's
  cookie, so every page and action of the person's names the representative.

A missing or dead cookie raises AuthenticationError; the HTML error handler sends the browser
to the right sign-in page.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends, Request

from custos.domain.errors import AuthenticationError
from custos.domain.principals import RequesterPrincipal, StaffPrincipal
from custos.rights import PersonPrincipal
from custos.web._render import ctx_of
from custos.web._security import unsign
from custos.workflow import portal_sessions, rights, staff_sessions

STAFF_COOKIE: Final = "custos_staff"
REQUESTER_COOKIE: Final = "custos_requester"
PERSON_COOKIE: Final = "custos_person"
STAFF_COOKIE_SECONDS: Final = staff_sessions.STAFF_SESSION_HOURS * 3600
REQUESTER_COOKIE_SECONDS: Final = 8 * 3600
PERSON_COOKIE_SECONDS: Final = rights.PERSON_SESSION_MINUTES * 60
REQUESTER_PURPOSE: Final = b"requester-session"
REPRESENTATIVE_COOKIE: Final = "custos_representative"
REPRESENTATIVE_COOKIE_SECONDS: Final = 8 * 3600
REPRESENTATIVE_PURPOSE: Final = b"representative-session"


def current_staff(request: Request) -> StaffPrincipal:
    token = request.cookies.get(STAFF_COOKIE)
    if not token:
        raise AuthenticationError("please sign in")
    return staff_sessions.staff_from_session(ctx_of(request), token)


def enrolling_staff(request: Request) -> StaffPrincipal:
    """The signed-in staff member on the second-factor page, enrolled or not yet."""
    token = request.cookies.get(STAFF_COOKIE)
    if not token:
        raise AuthenticationError("please sign in")
    return staff_sessions.staff_from_session(ctx_of(request), token, enrolling=True)


def _signed_token(request: Request, cookie: str, purpose: bytes, max_age: int) -> str:
    ctx = ctx_of(request)
    token = unsign(
        ctx, purpose, request.cookies.get(cookie, ""), max_age=max_age, now=ctx.now().timestamp()
    )
    if token is None:
        raise AuthenticationError("please sign in")
    return token


def current_representative(request: Request) -> str:
    """The signed-in representative's id."""
    token = _signed_token(
        request, REPRESENTATIVE_COOKIE, REPRESENTATIVE_PURPOSE, REPRESENTATIVE_COOKIE_SECONDS
    )
    return rights.representative_from_token(ctx_of(request), token)


def current_requester(request: Request) -> RequesterPrincipal:
    """The signed-in officer, as their agency's principal (carrying the officer's id)."""
    token = request.cookies.get(REQUESTER_COOKIE)
    if not token:
        raise AuthenticationError("please sign in")
    return portal_sessions.requester_from_session(ctx_of(request), token)


def current_person(request: Request) -> PersonPrincipal:
    token = request.cookies.get(PERSON_COOKIE)
    if not token:
        raise AuthenticationError("please sign in")
    return rights.person_from_session(ctx_of(request), token)


Staff = Annotated[StaffPrincipal, Depends(current_staff)]
EnrollingStaff = Annotated[StaffPrincipal, Depends(enrolling_staff)]
Requester = Annotated[RequesterPrincipal, Depends(current_requester)]
Person = Annotated[PersonPrincipal, Depends(current_person)]
Representative = Annotated[str, Depends(current_representative)]
