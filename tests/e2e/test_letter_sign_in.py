"""A person signs in with only what their access-code letter says (and their own date of
birth), in Chromium at desktop and phone width, in English and Spanish."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from custos.workflow import rights
from tests.e2e.conftest import Live, axe_violations
from tests.e2e.tour import DESKTOP, PERSON, PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.parametrize(
    ("language", "viewport", "button"),
    [("en", DESKTOP, "Sign in"), ("es", PHONE, "Iniciar sesión")],
    ids=["en-desktop", "es-phone"],
)
def test_a_person_signs_in_from_their_letter(
    browser: Any, live: Live, language: str, viewport: dict[str, int], button: str
) -> None:
    person = live.world.person(PERSON)
    issued = rights.issue_access_code(
        live.ctx, actor=live.world.staff["intake"], person_id=person.person_id, language=language
    )
    context = browser.new_context(viewport=viewport)
    try:
        # 1. The letter, as the person reads it.
        letter = context.new_page()
        letter.set_content(issued.letter_html)
        case_number = letter.locator(".case strong").inner_text().strip()
        code = letter.locator(".code").inner_text().strip()
        address = next(
            word.strip(".,")
            for word in letter.locator("body").inner_text().split()
            if word.startswith("https://") and word.strip(".,").endswith("/sign-in")
        )
        # 2. The portal at the address the letter gives (served here by the test server).
        page = context.new_page()
        page.goto(live.url + urlsplit(address).path)
        assert not axe_violations(page)
        labels = {
            "en": ("Case number", "Date of birth", "Access code"),
            "es": ("Número de caso", "Fecha de nacimiento", "Código de acceso"),
        }[language]
        page.get_by_label(labels[0]).fill(case_number)
        page.get_by_label(labels[1]).fill(str(person.birth_date))
        page.get_by_label(labels[2]).fill(code)
        page.get_by_role("button", name=button).click()
        page.wait_for_url(live.url + ("/es/me" if language == "es" else "/me"))
        assert page.locator("h1").count() == 1
        assert not axe_violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    finally:
        context.close()
