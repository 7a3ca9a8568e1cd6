"""Security for the HTML pages: headers, cookies, CSRF tokens and signed values.

- Every page carries a Content-Security-Policy that allows scripts, styles and images from
  Custos itself only (no inline script or style), and may not be framed.
- Session cookies are HttpOnly, SameSite=Lax, and Secure whenever the request came over HTTPS.
- Every form POST carries a CSRF token (signed double-submit, OWASP CSRF cheat sheet): a random
  value in an HttpOnly cookie, and in the form its HMAC under a key derived from the server's
  secret, so a cookie planted by a sibling site still cannot forge the form field.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from typing import Final

from fastapi import Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from custos.domain.errors import CustosError
from custos.workflow.context import Context

CSRF_COOKIE: Final = "custos_csrf"
CSRF_FIELD: Final = "csrf_token"

#: Content-Security-Policy of every HTML page (CSP Level 3).
CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
_COMMON_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
_PAGE_HEADERS: Final = (
    (b"content-security-policy", CSP.encode()),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
#: Paths the JSON API owns; everything else is a web page.
_API_PREFIXES: Final = ("/v1/", "/v1", "/healthz", "/docs", "/openapi.json")
#: The log's C2SP tlog-tiles resources, under its configurable prefix (`CUSTOS_LEDGER_URL`):
#: `<prefix>/checkpoint` and `<prefix>/tile/…` are the log's API, with its own caching headers.
_TLOG_RESOURCE: Final = re.compile(r"(?:^|/)(?:checkpoint|tile/[^?#]+)\Z")


class CsrfError(CustosError):
    """The form's CSRF token is missing or wrong (an old tab, or a forged post)."""

    kind = "csrf"
    status = 403
    exit_code = 2


def is_web_path(path: str) -> bool:
    return not (path.startswith(_API_PREFIXES) or _TLOG_RESOURCE.search(path))


class SecurityHeaders:
    """ASGI middleware adding security headers; the CSP only to web pages (the API's
    interactive docs load their own scripts)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        web = is_web_path(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = _COMMON_HEADERS + (_PAGE_HEADERS if web else ())
                headers.extend((k, v) for k, v in extra if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _key(ctx: Context, purpose: bytes) -> bytes:
    return hmac.new(ctx.settings.pseudonym_key, b"custos-web:" + purpose, hashlib.sha256).digest()


def _mac(ctx: Context, purpose: bytes, value: str) -> str:
    digest = hmac.new(_key(ctx, purpose), value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=secure(request),
        samesite="lax",
        path="/",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, secure=secure(request), samesite="lax")


# --- CSRF -----------------------------------------------------------------------------------


def csrf_seed(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie value, and whether it is new (to be set on the response)."""
    seed = request.cookies.get(CSRF_COOKIE, "")
    if len(seed) >= 32:  # noqa: PLR2004 - shorter values were not made by us
        return seed, False
    cached: str | None = getattr(request.state, "csrf_seed", None)
    if cached is None:
        cached = secrets.token_urlsafe(32)
        request.state.csrf_seed = cached
    return cached, True


def csrf_token(ctx: Context, seed: str) -> str:
    return _mac(ctx, b"csrf", seed)


async def check_csrf(request: Request) -> None:
    """FastAPI dependency: every POST to a web page must carry the right token."""
    if request.method != "POST":
        return
    ctx: Context = request.app.state.ctx
    seed = request.cookies.get(CSRF_COOKIE, "")
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if (
        not seed
        or not isinstance(sent, str)
        or not hmac.compare_digest(sent, csrf_token(ctx, seed))
    ):
        raise CsrfError("the form has expired or did not come from this site; please try again")


# --- signed, expiring values (the requester portal's cookie) -------------------------------------


def sign(ctx: Context, purpose: bytes, value: str, *, now: float | None = None) -> str:
    """`value|issued|mac`: tamper-evident, and dated so it can expire server-side."""
    issued = str(int(now if now is not None else time.time()))
    body = f"{value}|{issued}"
    return f"{body}|{_mac(ctx, purpose, body)}"


def unsign(ctx: Context, purpose: bytes, signed: str, *, max_age: int, now: float) -> str | None:
    """The value, or None when the signature is wrong or the value is older than `max_age`."""
    try:
        value, issued, mac = signed.rsplit("|", 2)
        when = int(issued)
    except ValueError:
        return None
    if not hmac.compare_digest(mac, _mac(ctx, purpose, f"{value}|{issued}")):
        return None
    if not 0 <= now - when <= max_age:
        return None
    return value
