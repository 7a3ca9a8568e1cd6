"""The challenge window, enforced: a disclosure the person must hear of first is not released
until their letter is sent and the window has run; a challenge inside it holds the request,
one after it does not; a disclosure already made can be challenged by its release id and,
upheld, is recalled. The clock is the tests' clock, moved by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from custos.cli import _requests as cli_requests
from custos.cli import _rights as cli_rights
from custos.domain.errors import ConflictError
from custos.domain.lifecycle import RequestStatus
from custos.domain.words import day_words
from custos.workflow import releases, requests, rights, tokens
from custos.workflow.intake import LegalProcessInput
from tests.conftest import Clock
from tests.integration.conftest import (
    World,
    bearer,
    greene_county_order,
    send_pending_letters,
    staff_token,
)
from tests.integration.release.conftest import admin_request, approve, approved_felon
from tests.integration.rights.conftest import sign_in

PERSON = "snap_fleeing_felon"  # a SNAP household member both helpers' requests name


def approved_admin_request(world: World) -> str:
    """A SNAP office's program-administration request, approved: the person is told first."""
    rid = admin_request(world)
    approve(world, rid)
    return rid


def build(world: World, rid: str) -> releases.ReleaseView:
    return releases.build(world.ctx, actor=world.staff["approver1"], request_id=rid)


def status(world: World, rid: str) -> RequestStatus:
    return requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid).status


def test_no_release_before_the_letter_is_sent_and_the_window_has_run(
    world: World, client: TestClient, clock: Clock
) -> None:
    rid = approved_admin_request(world)
    with pytest.raises(ConflictError, match="not yet marked sent"):
        build(world, rid)

    assert send_pending_letters(world) == 1
    sent_on = clock().date()
    first_day = sent_on + dt.timedelta(days=15)  # 14 days to challenge, then the day after
    with pytest.raises(ConflictError, match=f"cannot be released before {first_day}"):
        build(world, rid)

    # Staff, the requester (as "pending", with the date only) and the API all see the date.
    staff = requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid)
    assert (staff.noticed_before, staff.letters_unsent) == (1, 0)
    assert staff.earliest_release == first_day
    seen = client.get(f"/v1/requests/{rid}", headers=bearer(world.tokens["snap_office"])).json()
    assert seen["status"] == "pending"
    assert seen["earliest_release"] == first_day.isoformat()
    assert set(seen) & {"subjects", "people", "noticed_before", "letters_unsent"} == set()
    r = client.post(
        "/v1/staff/releases", json={"request_id": rid}, headers=staff_token(client, "approver1")
    )
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert first_day.isoformat() in r.json()["title"]

    clock.advance(days=14)  # the person's last day to challenge
    with pytest.raises(ConflictError, match="challenge window has not run"):
        build(world, rid)
    clock.advance(days=1)
    built = build(world, rid)
    assert built.people == 1
    assert status(world, rid) is RequestStatus.RELEASED


def test_a_pack_window_changes_the_wait(world: World, clock: Clock) -> None:
    rid = approved_admin_request(world)
    pack = world.ctx.pack()
    object.__setattr__(pack, "challenge_window_days", 30)  # as if pack.toml said 30
    try:
        send_pending_letters(world)
        staff = requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid)
        assert staff.earliest_release == clock().date() + dt.timedelta(days=31)
    finally:
        object.__setattr__(pack, "challenge_window_days", None)


def test_a_challenge_inside_the_window_holds_the_request(
    world: World, client: TestClient, clock: Clock
) -> None:
    rid = approved_admin_request(world)
    send_pending_letters(world, days_ago=14)  # today is the last day to challenge
    me = sign_in(client, world, PERSON)
    [pending] = client.get("/v1/me/disclosures", headers=me).json()["pending"]
    assert pending["challenge_by"] == clock().date().isoformat()
    # The letter that went out names the same last day, counted from its sending.
    intake = world.staff["intake"]
    [letter] = rights.notice_queue(world.ctx, actor=intake, status="sent")
    text = rights.render_notice(world.ctx, actor=intake, notice_id=letter.id)
    assert f"you must do so by {day_words(clock().date(), 'en')}" in str(text)

    r = client.post(
        "/v1/me/challenges",
        json={"request_id": rid, "reason": "The office already has what it needs."},
        headers=me,
    )
    assert r.status_code == 201, r.text
    assert status(world, rid) is RequestStatus.ON_HOLD
    clock.advance(days=30)  # the window has long run, but the challenge still holds it
    with pytest.raises(ConflictError):
        build(world, rid)


def test_a_challenge_after_the_window_does_not_hold_the_request(
    world: World, client: TestClient
) -> None:
    rid = approved_admin_request(world)
    send_pending_letters(world, days_ago=15)  # the last day to challenge was yesterday
    me = sign_in(client, world, PERSON)
    r = client.post(
        "/v1/me/challenges",
        json={"request_id": rid, "reason": "I only just read the letter."},
        headers=me,
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "open"  # still reviewed by counsel
    assert status(world, rid) is RequestStatus.APPROVED
    built = build(world, rid)
    assert built.people == 1

    # Upheld after all, once released: the release is recalled.
    r = client.post(
        f"/v1/staff/challenges/{r.json()['id']}/resolve",
        json={"outcome": "upheld", "reason": "The office did not need the address."},
        headers=staff_token(client, "counsel"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["release_id"] == built.id
    office = tokens.requester_from_token(world.ctx, world.tokens["snap_office"])
    [notice] = releases.notices_for_requester(world.ctx, actor=office, release_id=built.id)
    assert notice.kind == "recall"


def test_a_disclosure_already_made_is_challenged_by_release_id_and_upheld_is_recalled(
    world: World, client: TestClient
) -> None:
    # A fleeing-felon request is compelled and told after: no window, released at once.
    rid = approved_felon(world)
    built = build(world, rid)
    me = sign_in(client, world, PERSON)
    r = client.post(
        "/v1/me/challenges",
        json={"release_id": "rel_not_mine", "reason": "Not me."},
        headers=me,
    )
    assert r.status_code == 404, r.text
    r = client.post(
        "/v1/me/challenges",
        json={"release_id": built.id, "reason": "I was never the person in that warrant."},
        headers=me,
    )
    assert r.status_code == 201, r.text
    challenge = r.json()
    assert (challenge["target"], challenge["request_id"]) == ("disclosure", rid)

    resolved = rights.resolve_challenge(
        world.ctx,
        actor=world.staff["counsel"],
        challenge_id=challenge["id"],
        outcome=rights.ChallengeOutcome.UPHELD,
        reason="A mistaken identity, confirmed by the department.",
    )
    assert resolved.recall_needed is False
    police = tokens.requester_from_token(world.ctx, world.tokens["police"])
    [notice] = releases.notices_for_requester(world.ctx, actor=police, release_id=built.id)
    assert notice.kind == "recall"
    assert challenge["id"] in notice.reason


def test_the_cli_shows_the_window_and_enters_a_mailed_challenge_of_a_disclosure(
    world: World, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_requests, "context", lambda: world.ctx)
    monkeypatch.setattr(cli_rights, "context", lambda: world.ctx)
    runner = CliRunner()
    waiting = approved_admin_request(world)
    shown = runner.invoke(cli_requests.request_app, ["show", waiting, "--as", "counsel"])
    assert shown.exit_code == 0, shown.output
    # Compared word by word: the terminal's width decides where the lines break.
    assert "1 letter(s) not yet marked sent" in " ".join(shown.output.split())
    send_pending_letters(world)
    shown = runner.invoke(cli_requests.request_app, ["show", waiting, "--as", "counsel"])
    earliest = clock().date() + dt.timedelta(days=15)
    assert f"earliest release {earliest}" in " ".join(shown.output.split())

    built = build(world, approved_felon(world))
    person_id = world.person(PERSON).person_id
    reason = "Letter received 3 March: the person says the address is not theirs."
    args = ["file", person_id, "--release", built.id, "--reason", reason]
    refused = runner.invoke(cli_rights.challenge_app, [*args, "--as", "approver1"])
    assert refused.exit_code != 0  # only intake and legal reviewers enter challenges
    done = runner.invoke(cli_rights.challenge_app, [*args, "--as", "intake"])
    assert done.exit_code == 0, done.output
    assert f"disclosure {built.id}" in " ".join(done.output.split())
    [queued] = rights.challenge_queue(world.ctx, actor=world.staff["counsel"])
    assert (queued.target, queued.release_id, queued.filed_by) == (
        "disclosure",
        built.id,
        world.staff["intake"].actor,
    )


def _approved_court_order(world: World, *, delay_notice_until: str | None) -> str:
    """A circuit court's order for a TANF recipient's address (compelled, told before unless
    the order says in writing not to, with an end date), classified and approved."""
    rid = greene_county_order(world)
    view = requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid)
    process = view.legal_process | {"scope": {"fields": ["tanf/address"]}}
    if delay_notice_until is not None:
        process["nondisclosure_until"] = delay_notice_until
    requests.classify(
        world.ctx,
        actor=world.staff["counsel"],
        request_id=rid,
        legal_process=LegalProcessInput.model_validate(process),
    )
    requests.approve(world.ctx, actor=world.staff["approver1"], request_id=rid)
    requests.approve(world.ctx, actor=world.staff["approver2"], request_id=rid)
    return rid


def test_a_court_ordered_delay_of_notice_sends_no_letter_first_and_opens_no_window(
    world: World,
) -> None:
    told_first = _approved_court_order(world, delay_notice_until=None)
    with pytest.raises(ConflictError, match="not yet marked sent"):
        build(world, told_first)
    delayed = _approved_court_order(world, delay_notice_until="2026-09-01")
    staff = requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=delayed)
    assert staff.noticed_before == 0
    assert send_pending_letters(world) == 1  # the first request's letter only
    built = build(world, delayed)
    assert built.people == 1
