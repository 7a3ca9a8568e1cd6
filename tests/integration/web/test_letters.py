"""Letters carry what a person needs to act on them, and the access-code letter is enough to
sign in with (plus the person's own date of birth)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from custos.rights import LANGUAGES
from custos.workflow import rights
from tests.integration.conftest import World
from tests.integration.web.conftest import Browser


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_person_signs_in_with_only_what_their_letter_says(
    world: World, browser: Browser, language: str
) -> None:
    person = world.person("medicaid")
    issued = rights.issue_access_code(
        world.ctx, actor=world.staff["intake"], person_id=person.person_id, language=language
    )
    letter = issued.letter_html
    settings = world.ctx.settings
    # The letterhead: agency, postal address, phone, the portal's address.
    text = _text(letter)
    assert settings.agency_name in text
    assert settings.agency_phone in text
    assert settings.agency_address.split(",")[0] in text
    assert settings.public_url in text
    # What the person reads off the letter.
    case_number = re.search(r'class="case">.*?<strong>([^<]+)</strong>', letter, re.DOTALL)
    code = re.search(r'class="code">([^<]+)<', letter)
    url = re.search(r"(https?://[^\s<]+/sign-in)", letter)
    assert case_number
    assert code
    assert url
    path = urlsplit(url.group(1)).path
    assert path == ("/es/sign-in" if language == "es" else "/sign-in")
    browser.get(path)
    r = browser.post(
        path,
        {
            "case_number": case_number.group(1),
            "birth_date": person.birth_date.isoformat(),
            "code": code.group(1).strip(),
        },
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"].endswith("/me")


def test_queued_letters_carry_the_case_number_and_the_agency(world: World) -> None:
    person = world.person("medicaid")
    issued = rights.issue_access_code(
        world.ctx, actor=world.staff["intake"], person_id=person.person_id, language="es"
    )
    html = rights.render_notice(world.ctx, actor=world.staff["intake"], notice_id=issued.notice_id)
    assert isinstance(html, str)
    text = _text(html)
    assert "Número de caso" in text
    assert world.ctx.settings.agency_phone in text
    assert "¿Preguntas? Llame a" in text


def test_public_pages_show_the_official_banner_and_the_agency_footer(browser: Browser) -> None:
    settings = browser.client.app.state.ctx.settings  # type: ignore[attr-defined]  # the app's own
    for path in ("/", "/es/", "/policy", "/es/reports", "/sign-in"):
        text = _text(browser.get(path).text)
        assert settings.agency_name in text, path
        assert settings.agency_phone in text, path
    assert "Un sitio web oficial" in _text(browser.get("/es/").text)


def test_the_spanish_404_is_in_spanish(browser: Browser) -> None:
    r = browser.get("/es/no-such-page")
    assert r.status_code == 404
    assert "Página no encontrada" in r.text
    assert "La página que pidió no existe" in r.text
    assert "Not Found" not in r.text
    assert "Page not found" in browser.get("/no-such-page").text
