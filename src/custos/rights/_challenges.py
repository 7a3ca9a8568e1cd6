"""Challenges: what a person may file, and the challenge window a release must wait out.

The challenge window is the one home of the rule "releases wait the challenge window": a
person told of a request before disclosure has `CHALLENGE_WINDOW_DAYS` from the day the
request arrived to challenge it (`challenge_deadline`), and nothing noticed that way may be
released before the window is over (`earliest_release`).

A challenge carries a reason and a few documents: a PDF, or a photo of a paper (many people
have a phone, not a scanner). Each document's content must begin as its declared type does,
so a reviewer never opens a program labelled as a document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from custos.domain.errors import FieldProblem, InvalidInputError

#: Days a person has, from the request's arrival, to challenge a request noticed before
#: disclosure. Releases of requests with notice-before obligations wait at least this long.
CHALLENGE_WINDOW_DAYS = 14
#: Days a recipient has to destroy a release recalled by an upheld challenge.
RECALL_DAYS = 30
MAX_REASON_CHARS = 5000
MAX_CHALLENGE_DOCUMENTS = 5
MAX_CHALLENGE_DOCUMENT_BYTES = 5 * 1024 * 1024
#: What a person may attach to a challenge, by type, with how each kind of file begins.
CHALLENGE_DOCUMENT_TYPES = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}


class ChallengeOutcome(StrEnum):
    UPHELD = "upheld"
    REJECTED = "rejected"


@dataclass(frozen=True, kw_only=True)
class ChallengeDocument:
    filename: str
    content_type: str
    content: bytes


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


def document_problems(files: Sequence[ChallengeDocument]) -> list[FieldProblem]:
    """What is wrong with a challenge's documents: too many, empty or too large, or not the
    PDF, PNG or JPEG file their declared type says."""
    problems = []
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
    return problems


def check_challenge(reason: str, files: Sequence[ChallengeDocument]) -> str:
    """The challenge's reason as stored (trimmed); raises InvalidInputError naming every
    problem with the reason and the documents."""
    text = reason.strip()
    problems = []
    if not text or len(text) > MAX_REASON_CHARS:
        problems.append(FieldProblem(path="reason", message=f"1 to {MAX_REASON_CHARS} characters"))
    problems.extend(document_problems(files))
    if problems:
        raise InvalidInputError("the challenge is invalid", problems)
    return text


def challenge_deadline(submitted_at: dt.datetime) -> dt.date:
    """The last day a person may challenge a request noticed before disclosure."""
    return last_challenge_day(submitted_at.date())


def last_challenge_day(
    window_opens_on: dt.date, window_days: int = CHALLENGE_WINDOW_DAYS
) -> dt.date:
    """The last day of a challenge window that opens on `window_opens_on`."""
    return window_opens_on + dt.timedelta(days=window_days)


def earliest_release(notice_sent_on: dt.date, window_days: int = CHALLENGE_WINDOW_DAYS) -> dt.date:
    """The first day a disclosure noticed on `notice_sent_on` may be released: the day after
    the person's last day to challenge it."""
    return last_challenge_day(notice_sent_on, window_days) + dt.timedelta(days=1)


def recall_deadline(today: dt.date) -> dt.date:
    """The day by which a recipient must destroy a release recalled today."""
    return today + dt.timedelta(days=RECALL_DAYS)
