"""The legal reviewer's classification form on the staff request page: record what a court
order names (programs, fields, period, people), see every problem summarised, correct the kind."""

from __future__ import annotations

import re

from custos.domain.lifecycle import RequestStatus
from custos.workflow import requests
from tests.integration.conftest import World, greene_county_order
from tests.integration.web.conftest import staff_browser


def _court_order(world: World) -> str:
    """A court's order about a TANF recipient and an identifier that matches nobody."""
    person = world.person("tanf_determination")
    subjects = [
        {"full_name": person.full_name, "birth_date": str(person.birth_date)},
        {"case_number": "1234567890"},
    ]
    return greene_county_order(world, subjects=subjects, fields=("tanf/address", "tanf/ssn"))


def _effects(world: World, rid: str) -> dict[tuple[bool, str], str]:
    view = requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid)
    return {(c.outside_scope, f.field): f.effect.value for c in view.classes for f in c.fields}


def test_counsel_records_the_programs_fields_and_people_an_order_names(world: World) -> None:
    rid = _court_order(world)
    counsel = staff_browser(world, "counsel")
    page = counsel.get(f"/staff/requests/{rid}").text
    assert 'action="/staff/requests/' + rid + '/scope"' in page
    assert "Carlos Alberto Mendoza Villalobos, born 1984-07-21" in page
    assert "case number 1234567890" in page

    r = counsel.post(
        f"/staff/requests/{rid}/scope",
        {"kind": "court_order", "fields": ["tanf/address"], "people": ["0"], "note": "Order p. 2"},
    )
    assert r.status_code == 303, r.text
    assert _effects(world, rid) == {
        (False, "tanf/address"): "disclose",
        (False, "tanf/ssn"): "withhold",
        (True, "tanf/address"): "withhold",
        (True, "tanf/ssn"): "withhold",
    }
    view = requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid)
    assert view.status is RequestStatus.IN_REVIEW
    assert view.classified_by == world.staff["counsel"].id
    # The page shows the scope as recorded: the boxes stay ticked, the unnamed class is labelled.
    page = counsel.get(f"/staff/requests/{rid}").text
    assert re.search(r'value="tanf/address" checked', page)
    assert re.search(r'name="people" value="0" checked', page)
    assert not re.search(r'name="people" value="1" checked', page)
    assert "1 subject the document does not name" in page


def test_every_problem_is_summarised_and_nothing_is_recorded(world: World) -> None:
    rid = _court_order(world)
    counsel = staff_browser(world, "counsel")
    counsel.get(f"/staff/requests/{rid}")
    r = counsel.post(
        f"/staff/requests/{rid}/scope",
        {
            "kind": "court_order",
            "programs": ["tanf"],
            "period_from": "2026-03-01",
            "period_until": "2025-01-01",
        },
    )
    assert r.status_code == 422
    assert "The classification was not recorded: 1 problem to correct." in r.text
    assert 'href="#f-scope-period_until"' in r.text
    assert "the period ends before it begins" in r.text
    # What was entered comes back, so nothing has to be typed again.
    assert 'value="2026-03-01"' in r.text
    assert re.search(r'value="tanf" checked', r.text)

    r = counsel.post(
        f"/staff/requests/{rid}/scope",
        {"kind": "a_letter", "programs": ["tanf"], "period_from": "not a date"},
    )
    assert r.status_code == 422
    assert "2 problems to correct" in r.text
    assert 'href="#f-scope-kind"' in r.text
    assert 'href="#f-scope-period_from"' in r.text
    view = requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid)
    assert view.classified_by is None
    assert view.decision_version == 1


def test_correcting_the_kind_on_the_form_redecides_and_may_close_the_request(
    world: World,
) -> None:
    rid = _court_order(world)
    counsel = staff_browser(world, "counsel")
    counsel.get(f"/staff/requests/{rid}")
    # The paper is an immigration judge's order: administrative, not a court order.
    r = counsel.post(
        f"/staff/requests/{rid}/scope",
        {"kind": "administrative_subpoena", "programs": ["tanf"], "people": ["0"]},
    )
    assert r.status_code == 303, r.text
    view = requests.get_for_staff(world.ctx, actor=world.staff["counsel"], request_id=rid)
    assert view.classified_process is not None
    assert view.classified_process["kind"] == "administrative_subpoena"
    assert view.status is RequestStatus.DENIED
    # A closed request can no longer be classified: the refusal is shown on the page.
    r = counsel.post(f"/staff/requests/{rid}/scope", {"kind": "court_order"})
    assert r.status_code == 409
    assert "cannot be classified" in r.text
