"""A person's challenge with a supporting document, and a representative acting for a person."""

from __future__ import annotations

from fastapi.testclient import TestClient

from custos.workflow import rights
from tests.integration.conftest import World
from tests.integration.web.conftest import person_browser
from tests.integration.web.test_pages import _released_and_pending

PDF = b"%PDF-1.4 the warrant was withdrawn\n"


def test_a_challenge_carries_an_optional_pdf(world: World, app_client: TestClient) -> None:
    _, pending, _ = _released_and_pending(world, app_client)
    me = person_browser(world, "snap_fleeing_felon")
    form = me.post("/me/challenge", {"request_id": pending})
    assert 'enctype="multipart/form-data"' in form.text
    assert 'name="attachment" type="file" accept="application/pdf"' in form.text
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
        (b"MZ\x90\x00", "application/x-msdownload", "are not accepted"),
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
