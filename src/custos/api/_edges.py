"""The API's edge: what every request and answer passes through before any route sees it.

- Request bodies that FastAPI would parse as JSON (no Content-Type, `application/json`,
  `application/*+json`, or a URL-encoded form) are refused with a 413 problem document when
  they are larger than `CUSTOS_MAX_JSON_BYTES`, by their Content-Length and while they stream
  in, before a byte of them is parsed. Uploads (PDFs, checkpoints) have their own limits.
- Every answer under `/v1/` is `Cache-Control: no-store` unless its route chose otherwise: they
  hold personal data, tokens or audit reads, and no shared cache should keep them
  (RFC 9111 section 5.2.2.5).
- Over HTTPS, every answer carries `Strict-Transport-Security` (RFC 6797), so a browser never
  falls back to plain HTTP for this host.
"""

from __future__ import annotations

import functools
import json
from email.message import Message as MimeMessage
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from custos.api.problems import PROBLEM_BASE

#: Two years, the preload list's minimum (hstspreload.org).
HSTS: Final = b"max-age=63072000; includeSubDomains"
_NO_STORE: Final = b"no-store"


@functools.lru_cache(maxsize=256)
def parsed_as_json(content_type: str | None) -> bool:
    """Whether FastAPI would parse a body of this Content-Type (JSON, or a URL-encoded form).

    Remembered per header value: parsing one with the email package cost more than the rest of
    this middleware, on every request with a body (issue 18); clients send a handful.
    """
    if not content_type:
        return True
    message = MimeMessage()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype in {"json", "x-www-form-urlencoded"} or subtype.endswith("+json")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": PROBLEM_BASE + "too-large",
            "title": f"the request body is larger than {limit} bytes",
            "status": 413,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", _NO_STORE),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Edges:
    """ASGI middleware: the JSON body limit, `no-store` on API answers, HSTS over HTTPS."""

    def __init__(self, app: ASGIApp, *, max_json_bytes: int) -> None:
        self.app = app
        self.limit = max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        api = str(scope.get("path", "")).startswith("/v1/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {bytes(k).lower() for k, _ in headers}
                if api and b"cache-control" not in present:
                    headers.append((b"cache-control", _NO_STORE))
                if https and b"strict-transport-security" not in present:
                    headers.append((b"strict-transport-security", HSTS))
                message["headers"] = headers
            await send(message)

        if scope.get("method") in {"GET", "HEAD", "OPTIONS"} or not parsed_as_json(
            _header(scope, b"content-type")
        ):
            await self.app(scope, receive, send_with_headers)
            return
        body = await self._read(scope, receive)
        if body is None:
            await _too_large(send, self.limit)
            return
        await self.app(scope, _replay(body, receive), send_with_headers)

    async def _read(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it is known to be over the limit."""
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.limit:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then defers to the server's."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
