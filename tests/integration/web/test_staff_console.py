"""The staff console as staff use it: the queue's search (by a person's case number too),
filters, pages and counts; approve, deny and build release only through a confirmation page;
names instead of ids; a locked sign-in answers 429."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from custos.rights import MAX_SIGNIN_FAILURES
from custos.web.staff import queue as queue_page
from custos.workflow import documents, requests, tokens
from custos.workflow.intake import RequestInput
from tests.conftest import Clock
from tests.integration.conftest import (
    World,
    add_snap_office,
    fleeing_felon,
    ice_subpoena,
    program_administration,
    send_pending_letters,
)
from tests.integration.web.conftest import Browser, staff_browser


def _submit(world: World, key: str, body_for: object, subject: dict[str, str]) -> str:
    ctx = world.ctx
    actor = tokens.requester_from_token(ctx, world.tokens[key])
    sha = documents.upload(
        ctx,
        actor=actor,
        content=f"%PDF-1.4 {key} {subject}\n".encode(),
        filename="process.pdf",
        content_type="application/pdf",
    )
    assert callable(body_for)
    body = body_for(sha, subject)
    return requests.submit(ctx, actor=actor, data=RequestInput.model_validate(body))


def _by_name(world: World, key: str) -> dict[str, str]:
    p = world.person(key)
    return {"full_name": p.full_name, "birth_date": str(p.birth_date)}


@pytest.fixture
def three(world: World, clock: Clock) -> dict[str, str]:
    """A police fleeing-felon request (compelled), an ICE subpoena about someone else, and a
    SNAP office's program-administration request (discretionary) about the same person as
    the police's."""
    add_snap_office(world)
    out = {}
    for key, body, person in (
        ("police", fleeing_felon, "snap_fleeing_felon"),
        ("ice", ice_subpoena, "medicaid"),
        ("snap_office", program_administration, "snap_fleeing_felon"),
    ):
        out[key.removeprefix("snap_")] = _submit(world, key, body, _by_name(world, person))
        clock.advance(minutes=5)  # received one after another
    return out


def _ids(html: str) -> set[str]:
    return set(re.findall(r'href="/staff/requests/(req_[A-Za-z0-9]+)"', html))


def _count(html: str, title: str) -> int:
    found = re.search(rf"{re.escape(title)} \((\d+)\)", html)
    assert found, title
    return int(found.group(1))


def test_a_persons_case_number_finds_the_requests_about_them(
    world: World, three: dict[str, str]
) -> None:
    intake = staff_browser(world, "intake")
    intake.get("/staff/queue")
    p = world.person("snap_fleeing_felon")
    r = intake.post("/staff/queue", {"case": p.dcn})
    assert r.status_code == 200
    assert _ids(r.text) == {three["police"], three["office"]}
    # The case number never goes into an address: tab and page controls post it again.
    assert p.dcn not in " ".join(re.findall(r'href="([^"]*)"', r.text))
    assert 'name="case" value="' + p.dcn + '"' in r.text
    # In the address it is ignored, so a link someone shares cannot search by it.
    assert "Needs legal review (0)" in r.text
    assert "Needs legal review (1)" in intake.get(f"/staff/queue?case={p.dcn}").text
    # Nobody with that number: nothing found, said so.
    r = intake.post("/staff/queue", {"case": "0000000000"})
    assert _ids(r.text) == set()
    assert "No request in this queue matches" in r.text


def test_only_staff_who_may_find_people_search_by_case_number(
    world: World, three: dict[str, str]
) -> None:
    approver = staff_browser(world, "approver1")
    page = approver.get("/staff/queue").text
    assert 'name="case"' not in page
    r = approver.post("/staff/queue", {"case": world.person("snap_fleeing_felon").dcn})
    assert r.status_code == 403
    assert three["police"] not in r.text


def test_filters_search_and_counts_per_tab(world: World, three: dict[str, str]) -> None:
    counsel = staff_browser(world, "counsel")
    page = counsel.get("/staff/queue").text
    assert _ids(page) == {three["police"], three["office"]}
    # The ICE subpoena compels nothing by itself: its proposal waits for legal review.
    assert (_count(page, "New"), _count(page, "Needs legal review")) == (2, 1)
    assert _count(page, "Approved") == 0
    police = world.requesters["police"]
    only_police = counsel.get(f"/staff/queue?requester={police}").text
    assert _ids(only_police) == {three["police"]}
    assert _count(only_police, "New") == 1
    subpoenas = counsel.get("/staff/queue?tab=review&process=administrative_subpoena").text
    assert _ids(subpoenas) == {three["ice"]}
    assert (_count(subpoenas, "New"), _count(subpoenas, "Needs legal review")) == (0, 1)
    compelled = counsel.get("/staff/queue?basis=compelled").text
    assert _ids(compelled) == {three["police"]}
    discretionary = counsel.get("/staff/queue?basis=discretionary").text
    assert _ids(discretionary) == {three["office"]}
    by_name = counsel.get("/staff/queue?q=columbia+police").text
    assert _ids(by_name) == {three["police"]}
    by_id = counsel.get(f"/staff/queue?tab=review&q={three['ice'][:12]}").text
    assert _ids(by_id) == {three["ice"]}
    # The tab links keep the filters.
    assert f'href="/staff/queue?requester={police}&amp;tab=approved"' in only_police
    # A request approved by two people moves tab, and the counts follow.
    requests.classify(world.ctx, actor=world.staff["counsel"], request_id=three["police"])
    for approver in ("approver1", "approver2"):
        requests.approve(world.ctx, actor=world.staff[approver], request_id=three["police"])
    page = counsel.get("/staff/queue?tab=approved").text
    assert _ids(page) == {three["police"]}
    assert (_count(page, "New"), _count(page, "Approved")) == (1, 1)


def test_the_queue_pages_through_its_tab(
    world: World, three: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue_page, "PAGE_SIZE", 1)
    counsel = staff_browser(world, "counsel")
    first = counsel.get("/staff/queue?sort=newest").text
    assert "Showing 1–1 of 2 requests, page 1 of 2." in first
    assert _ids(first) == {three["office"]}
    assert 'href="/staff/queue?sort=newest&amp;tab=new&amp;page=2"' in first
    second = counsel.get("/staff/queue?sort=newest&page=2").text
    assert "Showing 2–2 of 2 requests, page 2 of 2." in second
    assert _ids(second) == {three["police"]}
    # Past the last page: the last page.
    assert _ids(counsel.get("/staff/queue?sort=newest&page=9").text) == {three["police"]}
    oldest = counsel.get("/staff/queue").text
    assert _ids(oldest) == {three["police"]}


def test_the_queue_shows_due_dates_and_a_proposal_not_a_decision(
    world: World, three: dict[str, str]
) -> None:
    counsel = staff_browser(world, "counsel")
    review = counsel.get("/staff/queue?tab=review").text
    assert "Legal process expires 2026-06-30" in review  # the ICE subpoena's own date
    page = counsel.get("/staff/queue").text
    # The discretionary request is told to the person first: its window starts with the letter
    # and ends 14 days after it is sent.
    assert "Challenge window starts when the letters are sent" in page
    assert send_pending_letters(world, days_ago=0) == 1
    page = counsel.get("/staff/queue").text
    assert "Challenge window ends 2026-03-16" in page
    assert "Policy proposal" in page
    assert "Decision: approved" not in page
    view = staff_browser(world, "counsel").get(f"/staff/requests/{three['police']}").text
    assert "Policy proposal: <strong>disclose some fields</strong>" in view
    assert "nothing is decided until people approve" in view


def _ready(world: World, rid: str) -> None:
    requests.classify(world.ctx, actor=world.staff["counsel"], request_id=rid)


def test_approve_deny_and_release_ask_first(world: World, three: dict[str, str]) -> None:
    rid = three["police"]
    _ready(world, rid)
    first = staff_browser(world, "approver1")
    page = first.get(f"/staff/requests/{rid}").text
    # No form on the request page acts at once.
    assert f'action="/staff/requests/{rid}/approve"' not in page
    assert f'action="/staff/requests/{rid}/deny"' not in page
    assert f'href="/staff/requests/{rid}/approve"' in page
    # A POST that skipped the confirmation page changes nothing and is sent there.
    r = first.post(f"/staff/requests/{rid}/approve", {})
    assert r.status_code == 303
    assert r.headers["location"] == f"/staff/requests/{rid}/approve"
    assert (
        requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid).approvals
        == ()
    )
    confirm = first.get(f"/staff/requests/{rid}/approve").text
    person = world.person("snap_fleeing_felon")
    assert "Approve this disclosure?" in confirm
    assert "Columbia Police Department" in confirm  # to whom
    assert person.full_name in confirm or f"{person.first_name} {person.last_name}" in confirm
    assert "snap/address" in confirm  # what leaves
    assert "snap/benefit_amount" in confirm.split("Fields withheld")[1]
    assert "Your approval will be 1 of the 2" in confirm
    r = first.post(f"/staff/requests/{rid}/approve", {"confirm": "yes", "note": "ok"})
    assert r.status_code == 303
    page = first.get(f"/staff/requests/{rid}").text
    assert "Approvals: 1 of 2" in page
    assert "Approved by approver1" in page  # the approver's name, not an id
    assert world.staff["approver1"].id not in page.split("Approvals:")[1].split("</ul>")[0]
    second = staff_browser(world, "approver2")
    second.get(f"/staff/requests/{rid}/approve")
    second.post(f"/staff/requests/{rid}/approve", {"confirm": "yes"})
    assert second.post(f"/staff/requests/{rid}/release", {}).status_code == 303
    assert (
        requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid).status.value
        == "approved"
    )
    confirm = second.get(f"/staff/requests/{rid}/release").text
    assert "Build and send the release?" in confirm
    assert second.post(f"/staff/requests/{rid}/release", {"confirm": "yes"}).status_code == 303
    assert "<strong>released</strong>" in second.get(f"/staff/requests/{rid}").text


def test_a_denial_asks_first_and_needs_its_reason(world: World, three: dict[str, str]) -> None:
    # Not classified first: once counsel confirms it, a request that discloses nothing closes
    # as denied by itself. Before that, a person denies it, with a reason.
    rid = three["ice"]
    counsel = staff_browser(world, "counsel")
    assert counsel.post(f"/staff/requests/{rid}/deny", {"reason": "no"}).status_code == 303
    confirm = counsel.get(f"/staff/requests/{rid}/deny").text
    assert "Deny this request?" in confirm
    assert "ICE ERO Kansas City Field Office" in confirm
    r = counsel.post(f"/staff/requests/{rid}/deny", {"confirm": "yes", "reason": ""})
    assert r.status_code == 422
    assert 'id="reason-error"' in r.text
    r = counsel.post(f"/staff/requests/{rid}/deny", {"confirm": "yes", "reason": "No rule."})
    assert r.status_code == 303
    assert "<strong>denied</strong>" in counsel.get(f"/staff/requests/{rid}").text


def test_the_request_page_names_staff_and_the_person(world: World, three: dict[str, str]) -> None:
    rid = three["police"]
    _ready(world, rid)
    page = staff_browser(world, "counsel").get(f"/staff/requests/{rid}").text
    assert "reviewed by counsel" in page
    assert world.staff["counsel"].id not in page
    person = world.person("snap_fleeing_felon")
    assert f"<td>{person.first_name} {person.last_name}</td>" in page
    # The ledger table says who acted by name.
    assert "Columbia Police Department" in page.split('id="h-log"')[1]


def test_a_locked_staff_sign_in_answers_429_with_a_clear_message(app_client: TestClient) -> None:
    b = Browser(app_client)
    b.get("/staff/sign-in")
    for i in range(MAX_SIGNIN_FAILURES - 1):
        r = b.post("/staff/sign-in", {"username": "intake", "password": f"wrong {i}"})
        assert r.status_code == 401
    r = b.post("/staff/sign-in", {"username": "intake", "password": "wrong again"})
    assert r.status_code == 429
    assert "Sign-in locked for now" in r.text
    assert "Too many wrong passwords for this username; try again after" in r.text
    r = b.post("/staff/sign-in", {"username": "intake", "password": "correct horse battery staple"})
    assert r.status_code == 429
    assert "custos_staff=" not in r.headers.get("set-cookie", "")
