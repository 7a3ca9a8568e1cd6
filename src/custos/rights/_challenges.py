"""Challenges: what a person may file, and the challenge window a release must wait out.

The challenge window is the one home of the rule "releases wait the challenge window": a
person whose pack obligation is to be told before disclosure has `CHALLENGE_WINDOW_DAYS` (or
what the pack, or the rule, sets) from the day their letter was marked sent to challenge it
(`last_challenge_day`), and nothing noticed that way may be released before every such letter
is sent and every window is over (`earliest_release`, `release_window`). A challenge filed
inside a window holds the request; one filed after it is still reviewed, but holds nothing
(`challenge_is_timely`). The window runs from sending, not from the request's arrival: a person
cannot lose days to a letter still in the agency's out-tray.

A challenge carries a reason and a few documents: a PDF, or a photo of a paper (many people
have a phone, not a scanner). Each document's content must begin as its declared type does,
so a reviewer never opens a program labelled as a document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from custos.domain.errors import FieldProblem, InvalidInputError

#: Days a person has, from the day their letter is marked sent, to challenge a request noticed
#: before disclosure, unless the pack or the rule sets another number. Releases of requests
#: with notice-before obligations wait at least this long after the last letter.
CHALLENGE_WINDOW_DAYS = 14
#: The longest window a pack or a rule may set (a typo of 1400 would hold releases for years).
MAX_CHALLENGE_WINDOW_DAYS = 365
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


def last_challenge_day(
    window_opens_on: dt.date, window_days: int = CHALLENGE_WINDOW_DAYS
) -> dt.date:
    """The last day of a challenge window that opens on `window_opens_on`."""
    return window_opens_on + dt.timedelta(days=window_days)


def earliest_release(notice_sent_on: dt.date, window_days: int = CHALLENGE_WINDOW_DAYS) -> dt.date:
    """The first day a disclosure noticed on `notice_sent_on` may be released: the day after
    the person's last day to challenge it."""
    return last_challenge_day(notice_sent_on, window_days) + dt.timedelta(days=1)


def challenge_by(
    letter_sent_on: dt.date | None, today: dt.date, window_days: int = CHALLENGE_WINDOW_DAYS
) -> dt.date:
    """The last day a person may challenge: counted from their letter once it is sent; before
    that, from today (the window has not even begun, so they have at least this long)."""
    return last_challenge_day(letter_sent_on or today, window_days)


def challenge_is_timely(
    letter_sent_on: dt.date | None, today: dt.date, window_days: int = CHALLENGE_WINDOW_DAYS
) -> bool:
    """Whether a challenge filed today falls inside the window: always before the letter is
    sent, and up to and including its last day after."""
    return letter_sent_on is None or today <= last_challenge_day(letter_sent_on, window_days)


def window_days(rule_days: Iterable[int | None], pack_days: int | None) -> int:
    """The window for one decision class: the longest any of its notice-before rules sets
    (the person gets the most protective one), else the pack's, else the default."""
    set_by_rules = [d for d in rule_days if d is not None]
    if set_by_rules:
        return max(set_by_rules)
    return pack_days if pack_days is not None else CHALLENGE_WINDOW_DAYS


@dataclass(frozen=True, kw_only=True)
class LetterGroup:
    """The people of one decision class told before disclosure, as far as their letters go."""

    people: int
    sent: int
    #: The day the last of their letters was marked sent (None when none is).
    last_sent_on: dt.date | None
    window_days: int = CHALLENGE_WINDOW_DAYS


@dataclass(frozen=True, kw_only=True)
class ReleaseWindow:
    """Whether a request's release must still wait for the people told before disclosure.

    `noticed` people must be told first; `unsent` of their letters are not yet marked sent.
    `earliest` is the first day the release may be built once every letter is sent (None
    while some are not, or when nobody is told before).
    """

    noticed: int = 0
    unsent: int = 0
    earliest: dt.date | None = None
    window_days: int = CHALLENGE_WINDOW_DAYS

    @property
    def applies(self) -> bool:
        return self.noticed > 0

    def waits(self, today: dt.date) -> bool:
        return self.unsent > 0 or (self.earliest is not None and today < self.earliest)

    def problem(self, today: dt.date) -> str | None:
        """Why the release cannot be built today, in words staff can act on; None if it can."""
        if self.unsent:
            return (
                f"the challenge window has not begun: {self.unsent} of the {self.noticed} letters "
                "that tell people before disclosure are not yet marked sent; the release waits "
                f"{self.window_days} days after the last one is sent"
            )
        if self.earliest is not None and today < self.earliest:
            return (
                "the challenge window has not run: this request cannot be released before "
                f"{self.earliest.isoformat()}"
            )
        return None


def release_window(groups: Iterable[LetterGroup]) -> ReleaseWindow:
    """The window a release waits out: every letter sent, then the latest window over.

    One date for the whole request, however many people it names (a bulk release waits for
    its last letter): a release is built, sealed and accounted for as one, and a person
    whose window is still open must not find their data already gone.
    """
    noticed = unsent = 0
    earliest: dt.date | None = None
    days = 0
    for g in groups:
        if g.people == 0:
            continue
        noticed += g.people
        unsent += g.people - g.sent
        days = max(days, g.window_days)
        if g.last_sent_on is not None:
            first = earliest_release(g.last_sent_on, g.window_days)
            earliest = first if earliest is None else max(earliest, first)
    if unsent:
        earliest = None
    return ReleaseWindow(
        noticed=noticed, unsent=unsent, earliest=earliest, window_days=days or CHALLENGE_WINDOW_DAYS
    )


def recall_deadline(today: dt.date) -> dt.date:
    """The day by which a recipient must destroy a release recalled today."""
    return today + dt.timedelta(days=RECALL_DAYS)
