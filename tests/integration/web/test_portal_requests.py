"""The requester's new-request form, its check-your-answers step, a request's page and the
one-button receipt, over a real database, as an officer in a browser would use them."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from custos.workflow import releases, requests, tokens
from custos.workflow.intake import RequestInput
from tests.integration.conftest import World, fleeing_felon, upload
from tests.integration.web.conftest import requester_browser

PDF = ("written-request.pdf", b"%PDF-1.4 written request\n", "application/pdf")
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _answers(world: World, **override: Any) -> dict[str, Any]:
    p = world.person("snap_fleeing_felon")
    answers: dict[str, Any] = {
        "full_name": p.full_name,
        "birth_date": str(p.birth_date),
        "purpose": "fleeing_felon",
        "purpose_text": "Felony warrant 26-CR-0113; locating is my duty.",
        "fleeing_or_violating": "1",
        "locating_is_official_duty": "1",
        "proper_exercise_of_duty": "1",
        "fields": ["snap/address", "snap/ssn"],
        "kind": "written_request",
        "issuer": "Columbia Police Department",
        "signer": "Det. R. Alvarez",
        "issued_on": "2026-02-27",
    }
    return {**answers, **override}


def _hidden(page: str) -> dict[str, Any]:
    """The answers a check-your-answers page carries, as its form would send them."""
    out: dict[str, Any] = {}
    for name, value in _HIDDEN.findall(page):
        if name == "csrf_token":
            continue
        if name == "fields":
            out.setdefault("fields", []).append(value)
        else:
            out[name] = value.replace("&#39;", "'").replace("&amp;", "&")
    return out


def _label_texts(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r"<label>(.*?)</label>", page)]


def test_fields_are_grouped_by_program_with_plain_labels(world: World) -> None:
    portal = requester_browser(world)
    page = portal.get("/portal/requests/new").text
    for program in (
        "SNAP (food assistance)",
        "TANF (cash assistance)",
        "Medicaid (health coverage)",
    ):
        assert f"<legend>{program}</legend>" in page
    snap = page.split("<legend>SNAP (food assistance)</legend>")[1].split("</fieldset>")[0]
    assert 'value="snap/address"> Home address</label>' in snap
    labels = _label_texts(page)
    assert "Immigration status" in labels
    assert not [t for t in labels if re.fullmatch(r"[a-z]+/[a-z_]+", t)], labels


def test_choosing_a_purpose_shows_what_the_pack_could_give(world: World) -> None:
    portal = requester_browser(world)
    hint = portal.get("/portal/requests/new/hint?purpose=fleeing_felon").text
    assert "<html" not in hint
    snap = hint.split("<h3>SNAP (food assistance)</h3>")[1].split("</ul>")[0]
    for label in ("Home address", "Social Security number", "Photograph (if on file)"):
        assert label in snap
    assert "Immigration status" not in snap
    assert "Benefit amount" not in snap
    assert "Home address: with any legal process" in snap
    tanf = hint.split("<h3>TANF (cash assistance)</h3>")[1].split("</ul>")[0]
    assert "Home address: only with a court order or judicial warrant" in tanf
    # Without JavaScript: the form comes back with the answers kept and the hint shown.
    r = portal.post(
        "/portal/requests/new",
        {"purpose": "fleeing_felon", "full_name": "Ana Ruiz", "fields": ["snap/address"]},
    )
    assert r.status_code == 200
    assert 'value="Ana Ruiz"' in r.text
    assert "What a fleeing felon request could be given" in r.text
    assert 'value="snap/address" checked' in r.text
    assert 'value="snap/address" checked> Home address <span class="tag">could be given' in r.text
    assert 'value="snap/benefit_amount"> Benefit amount</label>' in r.text
    nothing = portal.get("/portal/requests/new/hint").text
    assert "Choose a purpose" in nothing


def test_an_empty_form_reports_every_problem_at_the_top(world: World) -> None:
    portal = requester_browser(world)
    portal.get("/portal/requests/new")
    r = portal.post("/portal/requests/check", {})
    assert r.status_code == 422
    summary = r.text.split('id="error-summary"')[1].split("</div>")[0]
    links = re.findall(r'<a href="#([^"]+)">', summary)
    assert links == [
        "f-full_name",
        "f-purpose",
        "f-purpose_text",
        "f-fields",
        "f-kind",
        "f-document",
    ]
    assert 'tabindex="-1"' in r.text.split('id="error-summary"')[0][-200:]
    assert "<title>Error: " in r.text
    for target in links:  # every link lands on a field that is on the page
        assert f'id="{target}"' in r.text
    for name in ("subject", "purpose", "purpose_text", "fields", "kind", "document"):
        assert f'id="{name}-error"' in r.text, name
    police = tokens.requester_from_token(world.ctx, world.tokens["police"])
    assert requests.list_for_requester(world.ctx, actor=police) == []
    # Sending it straight away finds the same problems; a bad date and SSN are named too.
    r = portal.post("/portal/requests", {"ssn": "12", "issued_on": "2026-13-40"})
    assert r.status_code == 422
    assert 'href="#f-ssn"' in r.text
    assert 'href="#f-issued_on"' in r.text


def test_check_your_answers_then_change_then_send(world: World) -> None:
    portal = requester_browser(world)
    portal.get("/portal/requests/new")
    r = portal.post("/portal/requests/check", _answers(world), files={"document": PDF})
    assert r.status_code == 200, r.text[-2000:]
    assert "Check your answers before sending the request" in r.text
    assert "Home address — SNAP (food assistance)" in r.text
    assert "written-request.pdf" in r.text
    answers = _hidden(r.text)
    assert len(answers["document_sha256"]) == 64
    assert answers["fields"] == ["snap/address", "snap/ssn"]
    police = tokens.requester_from_token(world.ctx, world.tokens["police"])
    assert requests.list_for_requester(world.ctx, actor=police) == []

    edit = portal.post("/portal/requests/edit", {**answers, "change": "purpose_text"})
    assert edit.status_code == 200
    assert "autofocus>Felony warrant 26-CR-0113" in edit.text
    assert f'value="{answers["full_name"]}"' in edit.text
    assert 'value="snap/ssn" checked' in edit.text
    assert "Already uploaded: written-request.pdf" in edit.text
    # Every "Change" button lands on a field of the form, focused there.
    targets = re.findall(r'formaction="/portal/requests/edit#([^"]+)" name="change"', r.text)
    assert len(targets) == 16
    for target in targets:
        assert f'id="{target}"' in edit.text, target
    statements = portal.post("/portal/requests/edit", {**answers, "change": "statements"}).text
    assert (
        'id="f-fleeing_or_violating" name="fleeing_or_violating" value="1" checked autofocus'
        in (statements)
    )

    changed = {**_hidden(edit.text), **answers, "purpose_text": "Warrant 26-CR-0114."}
    again = portal.post("/portal/requests/check", changed)
    assert again.status_code == 200
    assert "Warrant 26-CR-0114." in again.text
    sent = portal.post("/portal/requests", _hidden(again.text))
    assert sent.status_code == 303
    request_id = sent.headers["location"].rsplit("/", 1)[1]
    [mine] = requests.list_for_requester(world.ctx, actor=police)
    assert mine.id == request_id
    page = portal.get(sent.headers["location"]).text
    person = world.person("snap_fleeing_felon")
    assert f"{person.full_name}, born {person.birth_date}" in page
    assert "Warrant 26-CR-0114." in page
    assert "Social Security number — SNAP (food assistance)" in page


def _whom(page: str) -> str:
    return page.split('id="h-whom"')[1].split("</section>", maxsplit=1)[0]


def test_the_request_page_names_whom_as_given_never_whether_they_matched(world: World) -> None:
    portal = requester_browser(world)
    pages = []
    known = world.person("snap_fleeing_felon").ssn
    assert known is not None
    for ssn in (known, "999-00-1234"):
        portal.get("/portal/requests/new")
        body = _answers(world, full_name="", birth_date="", ssn=ssn)
        r = portal.post("/portal/requests/check", body, files={"document": PDF})
        sent = portal.post("/portal/requests", _hidden(r.text))
        assert sent.status_code == 303, sent.text[-1500:]
        pages.append(portal.get(sent.headers["location"]).text)
    matched, unmatched = (_whom(p) for p in pages)
    assert "Social Security number ending 1234" in unmatched
    last4 = known[-4:]
    assert f"Social Security number ending {last4}" in matched
    assert matched.replace(last4, "1234") == unmatched
    assert known not in pages[0]
    assert known.replace("-", "") not in pages[0]


def test_receipt_is_confirmed_with_one_button(world: World, app_client: TestClient) -> None:
    ctx = world.ctx
    p = world.person("snap_fleeing_felon")
    sha = upload(app_client, world.tokens["police"])
    police = tokens.requester_from_token(ctx, world.tokens["police"])
    body = fleeing_felon(sha, {"full_name": p.full_name, "birth_date": str(p.birth_date)})
    rid = requests.submit(ctx, actor=police, data=RequestInput.model_validate(body))
    requests.classify(ctx, actor=world.staff["counsel"], request_id=rid)
    requests.approve(ctx, actor=world.staff["approver1"], request_id=rid)
    requests.approve(ctx, actor=world.staff["approver2"], request_id=rid)
    release = releases.build(ctx, actor=world.staff["approver1"], request_id=rid)

    portal = requester_browser(world)
    page = portal.get(f"/portal/releases/{release.id}").text
    assert release.payload_sha256 in page
    assert "Download the package first." in page
    assert "Confirm receipt" not in page
    assert portal.get(f"/portal/releases/{release.id}/package").status_code == 200
    page = portal.get(f"/portal/releases/{release.id}").text
    digest = re.search(r'name="payload_sha256" value="([0-9a-f]{64})"', page)
    assert digest is not None
    assert digest.group(1) == release.payload_sha256
    wrong = portal.post(f"/portal/releases/{release.id}/receipt", {"payload_sha256": "0" * 64})
    assert wrong.status_code == 422
    assert "not the payload" in wrong.text
    r = portal.post(f"/portal/releases/{release.id}/receipt", {"payload_sha256": digest.group(1)})
    assert r.status_code == 303
    after = releases.get_for_requester(ctx, actor=police, release_id=release.id)
    assert after.status.value == "delivered"
    assert "Confirm receipt" not in portal.get(f"/portal/releases/{release.id}").text


def test_someone_elses_request_reads_like_a_missing_one(world: World) -> None:
    portal = requester_browser(world)
    portal.get("/portal/requests/new")
    r = portal.post("/portal/requests/check", _answers(world), files={"document": PDF})
    sent = portal.post("/portal/requests", _hidden(r.text))
    ice = requester_browser(world, "ice")
    assert ice.get(sent.headers["location"]).status_code == 404
    assert ice.get("/portal/requests/req_nothing").status_code == 404


def test_a_document_the_requester_did_not_upload_is_refused(world: World) -> None:
    """The answers travel in the page: a hash typed into them names no upload of this agency."""
    portal = requester_browser(world)
    portal.get("/portal/requests/new")
    forged = _answers(world, document_sha256="a" * 64, document_name="warrant.pdf")
    r = portal.post("/portal/requests", forged)
    assert r.status_code == 422
    assert 'href="#f-document"' in r.text
    assert "no uploaded document has this hash" in r.text


def test_destruction_is_attested_on_the_page_and_a_bad_date_keeps_what_was_typed(
    world: World, app_client: TestClient
) -> None:
    ctx = world.ctx
    p = world.person("snap_fleeing_felon")
    sha = upload(app_client, world.tokens["police"])
    police = tokens.requester_from_token(ctx, world.tokens["police"])
    body = fleeing_felon(sha, {"full_name": p.full_name, "birth_date": str(p.birth_date)})
    rid = requests.submit(ctx, actor=police, data=RequestInput.model_validate(body))
    requests.classify(ctx, actor=world.staff["counsel"], request_id=rid)
    requests.approve(ctx, actor=world.staff["approver1"], request_id=rid)
    requests.approve(ctx, actor=world.staff["approver2"], request_id=rid)
    release = releases.build(ctx, actor=world.staff["approver1"], request_id=rid)
    portal = requester_browser(world)
    portal.get(f"/portal/releases/{release.id}")
    form = {
        "destroyed_by": "Records officer, Columbia PD",
        "destroyed_on": "last week",
        "method": "crypto-shredded the key",
        "statement": "All copies were destroyed; none was shared.",
    }
    bad = portal.post(f"/portal/releases/{release.id}/destruction", form)
    assert bad.status_code == 422
    assert 'value="Records officer, Columbia PD"' in bad.text
    assert "crypto-shredded the key" in bad.text
    today = ctx.today().isoformat()
    ok = portal.post(f"/portal/releases/{release.id}/destruction", form | {"destroyed_on": today})
    assert ok.status_code == 303, ok.text
    after = releases.get_for_requester(ctx, actor=police, release_id=release.id)
    assert after.status.value == "destroyed"
