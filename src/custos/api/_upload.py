"""Reading an upload with a hard size limit, so a huge body is refused, not buffered."""

from __future__ import annotations

from fastapi import Request

from custos.domain.errors import CustosError


class TooLargeError(CustosError):
    kind = "too-large"
    status = 413
    exit_code = 2


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLargeError(f"the upload is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLargeError(f"the upload is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
