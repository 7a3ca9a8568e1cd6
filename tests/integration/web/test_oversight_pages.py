"""The oversight pages: the alerts queue, and transparency reports in the staff console and
on the public portal."""

from __future__ import annotations

from fastapi.testclient import TestClient

from custos.oversight import AlertRules
from custos.workflow import oversight
from tests.integration.conftest import World
from tests.integration.web.conftest import Browser, person_browser, requester_browser, staff_browser
from tests.integration.web.test_pages import _released_and_pending


def test_the_alerts_queue_lists_alerts_and_checks_on_demand(
    world: World, app_client: TestClient
) -> None:
    _released_and_pending(world, app_client)
    oversight.check_alerts(world.ctx, rules=AlertRules(cumulative_people=1, rate_min=1))
    auditor = staff_browser(world, "auditor")
    page = auditor.get("/staff/alerts")
    assert page.status_code == 200
    assert 'href="/staff/alerts"' in page.text  # in the navigation
    assert 'action="/staff/alerts/check"' in page.text
    assert 'name="csrf_token"' in page.text
    listed = oversight.list_alerts(world.ctx, actor=world.staff["auditor"])
    assert listed
    assert listed[0].summary in page.text
    r = auditor.post("/staff/alerts/check", {})
    assert r.status_code == 303
    assert r.headers["location"] == "/staff/alerts?raised=0"
    assert "0 new alerts raised" in auditor.get(r.headers["location"]).text
    assert staff_browser(world, "admin").get("/staff/alerts").status_code == 200


def test_staff_without_an_oversight_role_cannot_read_or_check_alerts(
    world: World, app_client: TestClient
) -> None:
    intake = staff_browser(world, "intake")
    r = intake.get("/staff/alerts")
    assert r.status_code == 403
    assert "this action needs one of the roles" in r.text
    intake.get("/staff/queue")
    assert intake.post("/staff/alerts/check", {}).status_code == 403
    # Without the form's token the check is refused before it runs.
    auditor = staff_browser(world, "auditor")
    r = auditor.client.post("/staff/alerts/check", data={})
    assert r.status_code == 403
    for b in (Browser(app_client), requester_browser(world), person_browser(world, "medicaid")):
        r = b.get("/staff/alerts")
        assert r.headers["location"] == "/staff/sign-in"
