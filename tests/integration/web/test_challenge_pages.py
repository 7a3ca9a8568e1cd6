"""A person's challenge with a supporting document, and a representative acting for a person."""

from __future__ import annotations

from fastapi.testclient import TestClient

from custos.api.app import create_app
from custos.workflow import rights
from tests.integration.conftest import World
from tests.integration.web.conftest import Browser, person_browser, staff_browser
from tests.integration.web.test_pages import _released_and_pending

PDF = b"%PDF-1.4 the warrant was withdrawn\n"


def test_a_challenge_carries_an_optional_pdf(world: World, app_client: TestClient) -> None:
    _, pending, _ = _released_and_pending(world, app_client)
    me = person_browser(world, "snap_fleeing_felon")
    form = me.post("/me/challenge", {"request_id": pending})
    assert 'enctype="multipart/form-data"' in form.text
    assert 'type="file" accept="application/pdf,image/png,image/jpeg"' in form.text
    assert 'name="csrf_token"' in form.text
    r = me.post(
        "/me/challenges",
        {"request_id": pending, "reason": "Withdrawn."},
        files={"attachment": ("letter.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 303, r.text[-500:]
    staff = rights.challenge_queue(world.ctx, actor=world.staff["counsel"])
    (challenge,) = staff
    assert len(challenge.documents) == 1


def test_an_oversized_or_refused_attachment_is_shown_by_its_field(
    world: World, app_client: TestClient
) -> None:
    _, pending, _ = _released_and_pending(world, app_client)
    me = person_browser(world, "snap_fleeing_felon", lang="es")
    me.get("/es/me")
    big = b"%PDF-1.4\n" + b"0" * rights.MAX_CHALLENGE_DOCUMENT_BYTES
    for content, content_type, message in (
        (big, "application/pdf", "de 1 byte a 5 MiB"),
        (b"MZ\x90\x00", "application/x-msdownload", "un archivo PDF, PNG o JPEG"),
        # Labelled a PDF, but a program: what it is counts, not what it is called.
        (b"MZ\x90\x00", "application/pdf", "un archivo PDF, PNG o JPEG"),
    ):
        r = me.post(
            "/es/me/challenges",
            {"request_id": pending, "reason": "No es mío."},
            files={"attachment": ("x.pdf", content, content_type)},
        )
        assert r.status_code == 422, r.text[-500:]
        assert 'id="attachment-error"' in r.text
        assert "attachment-error" in r.text.split('id="f-attachment"')[1].split(">")[0]
        assert message in r.text
        assert "No es mío." in r.text
    assert rights.challenge_queue(world.ctx, actor=world.staff["counsel"]) == []
    # Without an attachment the challenge is filed as before.
    r = me.post("/es/me/challenges", {"request_id": pending, "reason": "No es mío."})
    assert r.status_code == 303


def _consenting(world: World, client: TestClient, scopes: list[str]) -> tuple[str, str]:
    """A registered representative, their token, and the person's consent through the pages."""
    reg = rights.register_representative(
        world.ctx, actor=world.staff["admin"], name="Ana Torres", organization="Legal Aid"
    )
    me = person_browser(world, "snap_fleeing_felon")
    me.get("/me/representatives")
    r = me.post(
        "/me/representatives",
        {"representative_id": reg.representative.id, "scopes": scopes, "days": "30"},
    )
    assert r.status_code == 303, r.text[-500:]
    return reg.representative.id, reg.token


def _rep_browser(world: World, token: str, lang: str = "") -> Browser:
    b = Browser(TestClient(create_app(ctx=world.ctx), follow_redirects=False))
    page = b.get(f"{lang}/representative/sign-in")
    assert 'name="csrf_token"' in page.text
    r = b.post(f"{lang}/representative/sign-in", {"token": token})
    assert r.status_code == 303, r.text[-500:]
    assert r.headers["location"] == f"{lang}/representative"
    return b


def test_a_representative_sees_and_challenges_for_a_person_who_consented(
    world: World, app_client: TestClient
) -> None:
    _, pending, _ = _released_and_pending(world, app_client)
    rep_id, token = _consenting(world, app_client, ["view", "challenge"])
    rep = _rep_browser(world, token, "/es")
    home = rep.get("/es/representative")
    assert home.status_code == 200
    assert "Ana Torres" in home.text
    (consent,) = rights.representative_consents(world.ctx, representative_id=rep_id)
    assert consent.id in home.text
    r = rep.post("/es/representative/act", {"consent_id": consent.id})
    assert r.status_code == 303
    assert r.headers["location"] == "/es/me"
    me = rep.get("/es/me")
    assert me.status_code == 200
    assert 'id="acting-as"' in me.text
    assert "Ana Torres" in me.text
    assert "/me/representatives" not in me.text  # a representative cannot grant consents
    form = rep.post("/es/me/challenge", {"request_id": pending})
    assert "Presentada por el representante: Ana Torres" in form.text
    r = rep.post(
        "/es/me/challenges",
        {"request_id": pending, "reason": "Represento a esta persona."},
        files={"attachment": ("carta.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 303, r.text[-500:]
    (challenge,) = rights.challenge_queue(world.ctx, actor=world.staff["counsel"])
    assert challenge.filed_by == f"representative:{rep_id}"
    # Stopping acting for the person goes back to the representative's own page.
    r = rep.post("/es/sign-out", {})
    assert r.headers["location"] == "/es/representative"
    assert rep.get("/es/me").headers["location"] == "/es/sign-in"


def test_a_representative_acts_only_within_a_live_consent(
    world: World, app_client: TestClient
) -> None:
    _, pending, _ = _released_and_pending(world, app_client)
    rep_id, token = _consenting(world, app_client, ["view"])
    anon = Browser(app_client)
    assert anon.get("/representative").headers["location"] == "/representative/sign-in"
    anon.get("/representative/sign-in")
    r = anon.post("/representative/sign-in", {"token": "rep_x.nope"})
    assert r.status_code == 401
    assert 'id="token-error"' in r.text
    assert 'aria-describedby="f-token-hint token-error"' in r.text
    rep = _rep_browser(world, token)
    (consent,) = rights.representative_consents(world.ctx, representative_id=rep_id)
    assert rep.post("/representative/act", {"consent_id": "cst_other"}).status_code == 404
    rep.post("/representative/act", {"consent_id": consent.id})
    # The consent covers seeing disclosures, not challenging them.
    assert "Challenge this request" not in rep.get("/me").text
    r = rep.post("/me/challenges", {"request_id": pending, "reason": "No."})
    assert r.status_code == 403
    assert rights.challenge_queue(world.ctx, actor=world.staff["counsel"]) == []
    # Another representative's token sees none of this person's consents.
    other = rights.register_representative(
        world.ctx, actor=world.staff["admin"], name="Bo", organization="Advocates"
    )
    page = _rep_browser(world, other.token).get("/representative").text
    assert consent.id not in page
    # Without the form's token, acting is refused.
    r = rep.client.post("/representative/act", data={"consent_id": consent.id})
    assert r.status_code == 403


def test_a_person_challenges_a_disclosure_already_made_from_their_page(
    world: World, app_client: TestClient
) -> None:
    _, pending, release = _released_and_pending(world, app_client)
    # Staff see on the pending request that its person must be told first.
    staff = staff_browser(world, "counsel").get(f"/staff/requests/{pending}")
    assert "1 person(s) must be told before disclosure" in staff.text
    assert "1 letter(s) not yet marked sent" in staff.text
    me = person_browser(world, "snap_fleeing_felon", lang="es")
    page = me.get("/es/me")
    assert "Impugnar esta divulgación" in page.text
    assert f'name="release_id" value="{release}"' in page.text
    form = me.post("/es/me/challenge", {"release_id": release})
    assert "Impugnar una divulgación" in form.text
    assert "quien la recibió debe destruirla" in form.text
    r = me.post("/es/me/challenges", {"release_id": release, "reason": "No soy esa persona."})
    assert r.status_code == 303, r.text[-500:]
    [challenge] = rights.challenge_queue(world.ctx, actor=world.staff["counsel"])
    assert (challenge.target, challenge.release_id) == ("disclosure", release)
    page = me.get("/es/me")
    assert "Impugnada" in page.text
    assert f'name="release_id" value="{release}"' not in page.text
    # Someone else's release reads as missing, in the person's language.
    r = me.post("/es/me/challenges", {"release_id": "rel_other", "reason": "No."})
    assert r.status_code == 404
    assert "no existe esa divulgación" in r.text
