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
    LetterGroup,
    challenge_by,
    challenge_is_timely,
    check_challenge,
    document_problems,
    earliest_release,
    last_challenge_day,
    recall_deadline,
    release_window,
    window_days,
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


def test_the_last_day_counts_from_the_letter_once_sent_and_from_today_before() -> None:
    sent, today = dt.date(2026, 3, 2), dt.date(2026, 3, 9)
    assert challenge_by(sent, today) == dt.date(2026, 3, 16)
    assert challenge_by(None, today) == dt.date(2026, 3, 23)  # the window has not begun
    assert challenge_by(sent, today, 30) == dt.date(2026, 4, 1)
    assert CHALLENGE_WINDOW_DAYS == 14


def test_a_challenge_is_timely_up_to_and_including_the_last_day() -> None:
    sent = dt.date(2026, 3, 2)
    assert challenge_is_timely(None, dt.date(2027, 1, 1))  # no letter yet: always in time
    assert challenge_is_timely(sent, dt.date(2026, 3, 16))
    assert not challenge_is_timely(sent, dt.date(2026, 3, 17))
    assert challenge_is_timely(sent, dt.date(2026, 3, 20), 21)


def test_the_window_is_the_longest_a_rule_sets_else_the_packs_else_the_default() -> None:
    assert window_days([None, None], None) == CHALLENGE_WINDOW_DAYS
    assert window_days([None], 30) == 30
    assert window_days([10, None, 21], 30) == 21
    assert window_days([], None) == CHALLENGE_WINDOW_DAYS


def test_a_release_waits_for_every_letter_then_for_the_last_window() -> None:
    nobody = release_window([])
    assert not nobody.applies
    assert nobody.problem(dt.date(2026, 3, 2)) is None
    unsent = release_window(
        [
            LetterGroup(people=3, sent=2, last_sent_on=dt.date(2026, 3, 2)),
            LetterGroup(people=0, sent=0, last_sent_on=None, window_days=99),
        ]
    )
    assert (unsent.noticed, unsent.unsent, unsent.earliest) == (3, 1, None)
    assert unsent.waits(dt.date(2030, 1, 1))
    problem = unsent.problem(dt.date(2030, 1, 1))
    assert problem is not None
    assert "1 of the 3 letters" in problem
    assert "14 days" in problem
    sent = release_window(
        [
            LetterGroup(people=2, sent=2, last_sent_on=dt.date(2026, 3, 2)),
            LetterGroup(people=1, sent=1, last_sent_on=dt.date(2026, 3, 1), window_days=30),
        ]
    )
    assert sent.earliest == dt.date(2026, 4, 1)  # 1 March + 30 days, then the day after
    assert sent.problem(dt.date(2026, 3, 31)) == (
        "the challenge window has not run: this request cannot be released before 2026-04-01"
    )
    assert sent.problem(dt.date(2026, 4, 1)) is None


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=1000),
            st.integers(min_value=0, max_value=1000),
            st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)),
            st.integers(min_value=1, max_value=365),
        ),
        max_size=6,
    ),
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2032, 1, 1)),
)
def test_no_release_while_anyone_may_still_challenge(
    groups: list[tuple[int, int, dt.date, int]], today: dt.date
) -> None:
    letters = [
        LetterGroup(
            people=people,
            sent=min(sent, people),
            last_sent_on=last if sent else None,
            window_days=days,
        )
        for people, sent, last, days in groups
    ]
    window = release_window(letters)
    if window.problem(today) is not None:
        return
    # Released today: every letter was sent, and nobody's challenge would still be timely.
    for g in letters:
        assert g.sent == g.people
        assert not challenge_is_timely(g.last_sent_on, today, g.window_days)


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
    assert earliest_release(noticed) == challenge_by(noticed, noticed) + dt.timedelta(days=1)


def test_a_recall_gives_the_recipient_the_recall_days() -> None:
    assert recall_deadline(dt.date(2026, 3, 2)) == dt.date(2026, 3, 2) + dt.timedelta(
        days=RECALL_DAYS
    )
