"""Letters to people from Jinja2 templates, in English and Spanish, as HTML or PDF.

Templates live in `templates/<language>/<kind>.html` and share one printable layout with
print CSS, so the HTML itself is a printable letter; PDF is the same HTML through WeasyPrint.
Autoescaping is on: names and reasons typed by people can never become markup. Letters name
fields, codes and dates in words (`custos.domain.words`), never as the services keep them:
templates call `field_name`, `word` and `day`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from custos.domain.errors import FieldProblem, InvalidInputError
from custos.domain.programs import FieldRef, FieldSpec
from custos.domain.words import code_word, day_words, field_namer
from custos.templating import environment

_TEMPLATES = Path(__file__).parent / "templates"


class NoticeKind(StrEnum):
    DISCLOSURE_MADE = "disclosure_made"
    DISCLOSURE_PENDING = "disclosure_pending"
    CHALLENGE_OUTCOME = "challenge_outcome"
    OPT_OUT_CONFIRMATION = "opt_out_confirmation"
    ACCESS_CODE = "access_code"
    #: Not a queued notice: the printable accounting letter.
    ACCOUNTING = "accounting"


LANGUAGES = ("en", "es")

_env = environment(_TEMPLATES)


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise InvalidInputError(
            "unsupported language",
            [FieldProblem(path="language", message=f"one of {', '.join(LANGUAGES)}")],
        )
    return language


#: What every letter's layout reads; callers may override any of them.
_DEFAULTS: dict[str, Any] = {
    "agency": "Department of Social Services",
    "agency_address": [],
    "agency_phone": "",
    "case_number": "",
    "portal": "the agency's privacy portal",
    "reference": "",
    "name": "",
    "address": "",
    "today": "",
}


def render_html(
    kind: NoticeKind,
    language: str,
    data: dict[str, Any],
    *,
    catalogue: Mapping[FieldRef, FieldSpec] | None = None,
) -> str:
    """The letter as a standalone, printable HTML document; `catalogue` (the pack's) gives
    the fields their labels."""
    template = _env.get_template(f"{check_language(language)}/{kind.value}.html")
    values = {
        **_DEFAULTS,
        **({"portal": "el portal de privacidad de la agencia"} if language == "es" else {}),
        **data,
        "language": language,
        "field_name": field_namer(catalogue or {}, language),
        "word": lambda code: code_word(code, language),
        "day": lambda value: day_words(value, language) if value else "",
    }
    portal = str(values["portal"])
    if portal.startswith(("https://", "http://")):
        values.setdefault("sign_in_url", portal + ("/es" if language == "es" else "") + "/sign-in")
    else:
        values.setdefault("sign_in_url", portal)
    return template.render(values)


def render_pdf(
    kind: NoticeKind,
    language: str,
    data: dict[str, Any],
    *,
    catalogue: Mapping[FieldRef, FieldSpec] | None = None,
) -> bytes:
    """The same letter as PDF (WeasyPrint; needs Pango, see scripts/services)."""
    return html_to_pdf(render_html(kind, language, data, catalogue=catalogue))


def html_to_pdf(html: str) -> bytes:
    """A rendered letter as PDF."""
    import weasyprint  # type: ignore[import-untyped]  # ships no types; heavy, so loaded lazily

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
