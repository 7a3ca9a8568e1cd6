"""Letters from the real services name each field by its label, in the person's language, and
the printed accounting says the list is complete, as the page and the file do."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from custos.workflow import ledger as ledger_service
from custos.workflow import rights
from tests.integration.conftest import World, staff_token
from tests.integration.rights.conftest import a_request, account, sign_in
from tests.integration.web.conftest import person_browser

_RAW_REF = re.compile(r"\b(?:snap|tanf|medicaid|housing)/[a-z_]+")
FIELDS = ("snap/address", "snap/ssn")
LABELS = {
    "en": ("Home address — SNAP (food assistance)", "Social Security number — SNAP"),
    "es": ("Dirección del hogar — SNAP (asistencia alimentaria)", "Número de Seguro Social"),
}
COMPLETE = {
    "en": "These are all 2 disclosures of your data recorded up to ",
    "es": "Estas son todas las divulgaciones de sus datos registradas hasta el ",
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_letters_name_fields_in_the_persons_language(
    world: World, client: TestClient, language: str
) -> None:
    rid = a_request(world, "snap_noncitizen")
    for release in ("rel_a", "rel_b"):
        account(world, "snap_noncitizen", request_id=rid, release_id=release, fields=FIELDS)
    ledger_service.publish_checkpoint(world.ctx)
    me = sign_in(client, world, "snap_noncitizen")
    assert client.put("/v1/me/language", json={"language": language}, headers=me).is_success
    intake = world.staff["intake"]
    rights.sweep_notices_as(world.ctx, actor=intake)
    made = [n for n in rights.notice_queue(world.ctx, actor=intake) if n.kind == "disclosure_made"]
    assert len(made) == 2
    letters = [rights.render_notice(world.ctx, actor=intake, notice_id=n.id) for n in made]
    accounting = client.get("/v1/me/disclosures?format=html", headers=me).text
    staff = staff_token(client, "intake")
    person = world.person("snap_noncitizen").person_id
    printed = client.get(f"/v1/staff/people/{person}/disclosures?format=html", headers=staff).text
    for html in [*letters, accounting, printed]:
        assert isinstance(html, str)
        assert not _RAW_REF.findall(html)
        for label in LABELS[language]:
            assert label in html
    assert COMPLETE[language] in accounting
    assert COMPLETE[language] in printed
    pdf = client.get("/v1/me/disclosures?format=pdf", headers=me)
    assert pdf.content.startswith(b"%PDF")


def test_the_portal_prints_the_accounting_letter(world: World) -> None:
    account(world, "medicaid", release_id="rel_web", fields=FIELDS)
    browser = person_browser(world, "medicaid")
    r = browser.get("/me/letter.pdf")
    assert r.status_code == 200
    assert r.content.startswith(b"%PDF")
