"""Every letter renders in English and Spanish; typed text cannot become markup."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from custos.domain.errors import InvalidInputError
from custos.policy import load_pack
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
    "complete": None,
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


_RAW_REF = re.compile(r"\b(?:snap|tanf|medicaid|housing)/[a-z_]+")
_CODES = ("court_order", "criminal_investigation", "judicial_warrant", "retention_expired")
CATALOGUE = load_pack(Path(__file__).parents[3] / "policies" / "missouri-dss").catalogue
FIELDS = ["snap/address", "snap/ssn", "medicaid/diagnoses", "tanf/employer"]
LABELS = {
    "en": ["Home address — SNAP (food assistance)", "Diagnoses and services — Medicaid"],
    "es": ["Dirección del hogar — SNAP (asistencia alimentaria)", "Diagnósticos y servicios"],
}


def _letter_data() -> dict[str, object]:
    row = {
        "date": "2026-03-02",
        "requester_name": "Columbia Police Department",
        "fields": FIELDS,
        "legal_process": "judicial_warrant",
        "purpose": "criminal_investigation",
        "compelled": True,
        "citations": ["7 U.S.C. 2020(e)(8)(E)"],
        "retention_until": "2031-03-01",
        "status": "retention_expired",
    }
    waiting = {"requester_name": "ICE", "fields": FIELDS, "challenge_by": "2026-03-16"}
    return {
        **DATA,
        "name": "Ana Pérez",
        "fields": FIELDS,
        "legal_process": "court_order",
        "disclosures": [row],
        "pending": [{**waiting, "status": "on_hold"}],
        "complete": {"count": 3, "up_to": "2026-03-02", "at": "10:00 UTC", "hidden": 2},
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(NoticeKind))
def test_letters_name_fields_codes_and_dates_in_words(kind: NoticeKind, language: str) -> None:
    html = render_html(kind, language, _letter_data(), catalogue=CATALOGUE)
    assert not _RAW_REF.findall(html)
    assert not [code for code in _CODES if code in html]
    assert "2026-03-02" not in html
    if kind in (NoticeKind.DISCLOSURE_MADE, NoticeKind.DISCLOSURE_PENDING, NoticeKind.ACCOUNTING):
        for label in LABELS[language]:
            assert label in html, label
        assert ("investigación penal" if language == "es" else "criminal investigation") in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_accounting_letter_says_the_list_is_complete(language: str) -> None:
    html = render_html(NoticeKind.ACCOUNTING, language, _letter_data(), catalogue=CATALOGUE)
    expected = {
        "en": "These are all 3 disclosures of your data recorded up to March 2, 2026 at 10:00",
        "es": "Estas son todas las divulgaciones de sus datos registradas hasta el 2 de marzo de "
        "2026 a las 10:00 UTC: 3 en total.",
    }[language]
    assert expected in html
    assert ("2 of them are hidden" if language == "en" else "2 de ellas están ocultas") in html
    without = render_html(NoticeKind.ACCOUNTING, language, {**_letter_data(), "complete": None})
    assert 'id="completeness"' not in without


@pytest.mark.parametrize("language", LANGUAGES)
def test_letters_with_fields_render_as_pdf(language: str) -> None:
    for kind in (NoticeKind.DISCLOSURE_MADE, NoticeKind.ACCOUNTING):
        pdf = render_pdf(kind, language, _letter_data(), catalogue=CATALOGUE)
        assert pdf.startswith(b"%PDF")
