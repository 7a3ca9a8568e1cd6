"""Every letter renders in English and Spanish; typed text cannot become markup."""

from __future__ import annotations

import pytest

from custos.domain.errors import InvalidInputError
from custos.rights import LANGUAGES, NoticeKind, render_html, render_pdf

DATA = {
    "name": "Ana <script>alert(1)</script>",
    "disclosed_on": "2026-03-02",
    "requester_name": "Columbia Police Department",
    "fields": ["snap/address"],
    "legal_process": "court_order",
    "purpose": "criminal_investigation",
    "citations": ["7 U.S.C. 2020(e)(8)(E)"],
    "compelled": True,
    "retention_until": "2031-03-01",
    "challenge_by": "2026-03-16",
    "challenge_id": "chl_1",
    "filed_on": "2026-03-02",
    "outcome": "upheld",
    "target": "pending",
    "reason": "The warrant was recalled.",
    "opted_out": True,
    "effective_on": "2026-03-02",
    "code": "K7QM-3XRT-9BWP",
    "expires_on": "2026-04-01",
    "since": None,
    "withheld": [{"count": 2, "until": "2026-04-15"}],
    "disclosures": [],
    "pending": [],
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_template_renders(kind: NoticeKind, language: str) -> None:
    html = render_html(kind, language, DATA)
    assert f'lang="{language}"' in html
    assert "<script>" not in html
    assert "Ana &lt;script&gt;" in html


def test_access_code_letter_shows_the_code_and_pdf_renders() -> None:
    assert "K7QM-3XRT-9BWP" in render_html(NoticeKind.ACCESS_CODE, "en", DATA)
    assert render_pdf(NoticeKind.ACCESS_CODE, "es", DATA).startswith(b"%PDF")


def test_unknown_language_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        render_html(NoticeKind.ACCESS_CODE, "fr", DATA)
