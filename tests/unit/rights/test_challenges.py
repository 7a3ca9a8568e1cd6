"""Challenges: what a person may attach, and the challenge window a release must wait out."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.domain.errors import InvalidInputError
from custos.rights import (
    CHALLENGE_WINDOW_DAYS,
    MAX_CHALLENGE_DOCUMENT_BYTES,
    MAX_CHALLENGE_DOCUMENTS,
    MAX_REASON_CHARS,
    RECALL_DAYS,
    ChallengeDocument,
    challenge_deadline,
    check_challenge,
    document_problems,
    earliest_release,
    last_challenge_day,
    recall_deadline,
)

PDF = ChallengeDocument(filename="order.pdf", content_type="application/pdf", content=b"%PDF-1.7")
PNG = ChallengeDocument(
    filename="photo.png", content_type="image/png", content=b"\x89PNG\r\n\x1a\n...."
)
JPEG = ChallengeDocument(filename="photo.jpg", content_type="image/jpeg", content=b"\xff\xd8\xff..")


def _paths(exc: pytest.ExceptionInfo[InvalidInputError]) -> list[str]:
    return [p.path for p in exc.value.problems]


def test_a_reason_is_trimmed_and_documents_of_the_three_kinds_pass() -> None:
    assert check_challenge("  the warrant was recalled \n", [PDF, PNG, JPEG]) == (
        "the warrant was recalled"
    )
    assert document_problems([PDF, PNG, JPEG]) == []


@pytest.mark.parametrize("reason", ["", "   ", "x" * (MAX_REASON_CHARS + 1)])
def test_a_reason_is_one_to_the_most_characters(reason: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        check_challenge(reason, [])
    assert _paths(exc) == ["reason"]


def test_a_document_must_begin_as_its_declared_type_does() -> None:
    exe = ChallengeDocument(filename="a.pdf", content_type="application/pdf", content=b"MZ\x90")
    html = ChallengeDocument(filename="a.html", content_type="text/html", content=b"<html>")
    problems = document_problems([exe, html])
    assert [(p.path, p.message) for p in problems] == [
        ("documents[0]", "a PDF, PNG or JPEG file"),
        ("documents[1]", "a PDF, PNG or JPEG file"),
    ]


def test_empty_and_oversized_documents_are_refused() -> None:
    empty = ChallengeDocument(filename="a.pdf", content_type="application/pdf", content=b"")
    big = ChallengeDocument(
        filename="b.pdf",
        content_type="application/pdf",
        content=b"%PDF-" + b"0" * MAX_CHALLENGE_DOCUMENT_BYTES,
    )
    assert [p.message for p in document_problems([empty, big])] == ["1 byte to 5 MiB"] * 2


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(InvalidInputError) as exc:
        check_challenge("", [PDF] * (MAX_CHALLENGE_DOCUMENTS + 1))
    assert _paths(exc) == ["reason", "documents"]


def test_the_deadline_is_the_window_after_the_request_arrived() -> None:
    arrived = dt.datetime(2026, 3, 2, 23, 59, tzinfo=dt.UTC)
    assert challenge_deadline(arrived) == dt.date(2026, 3, 16)
    assert CHALLENGE_WINDOW_DAYS == 14


@given(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.integers(min_value=0, max_value=400),
)
def test_nothing_is_released_on_or_before_the_last_day_to_challenge(
    noticed: dt.date, window: int
) -> None:
    last = last_challenge_day(noticed, window)
    first = earliest_release(noticed, window)
    assert first > last >= noticed
    assert first - last == dt.timedelta(days=1)


def test_the_earliest_release_uses_the_challenge_window_by_default() -> None:
    noticed = dt.date(2026, 3, 2)
    assert earliest_release(noticed) == dt.date(2026, 3, 17)
    assert earliest_release(noticed) == challenge_deadline(
        dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    ) + dt.timedelta(days=1)


def test_a_recall_gives_the_recipient_the_recall_days() -> None:
    assert recall_deadline(dt.date(2026, 3, 2)) == dt.date(2026, 3, 2) + dt.timedelta(
        days=RECALL_DAYS
    )
