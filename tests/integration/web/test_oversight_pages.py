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


def test_staff_publish_a_report_and_the_public_portal_shows_it(
    world: World, app_client: TestClient
) -> None:
    _released_and_pending(world, app_client)
    auditor = staff_browser(world, "auditor")
    page = auditor.get("/staff/reports")
    assert 'action="/staff/reports"' in page.text
    assert 'name="csrf_token"' in page.text
    r = auditor.post("/staff/reports", {"period": "2026", "epsilon": ""})
    assert r.status_code == 303, r.text[-500:]
    (listed,) = oversight.list_reports(world.ctx)
    assert r.headers["location"] == f"/staff/reports?published={listed.id}"
    staff_page = auditor.get(r.headers["location"]).text
    assert "Latest report: 2026" in staff_page
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in staff_page

    for lang in ("", "/es"):
        anon = Browser(app_client)
        index = anon.get(f"{lang}/reports")
        assert index.status_code == 200
        assert f'href="{lang}/reports/{listed.id}"' in index.text
        shown = anon.get(f"{lang}/reports/{listed.id}")
        assert shown.status_code == 200
        assert shown.text.count('class="chart"') >= 5
        assert "<script" not in shown.text.split("</main>")[0].split("<main")[1]
        assert "<style" not in shown.text
        assert "content-security-policy" in shown.headers
        for name in ("report.json", "report.csv", "report.pdf", "report.sig"):
            assert f'href="{lang}/reports/{listed.id}/{name}"' in shown.text
    assert "Informe de transparencia" in shown.text
    pdf = Browser(app_client).get(f"/reports/{listed.id}/report.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment")
    html = Browser(app_client).get(f"/reports/{listed.id}/report.html")
    assert html.headers["content-disposition"].startswith("attachment")
    sig = Browser(app_client).get(f"/es/reports/{listed.id}/report.sig")
    assert world.ctx.settings.ledger_origin in sig.text
    for missing in (f"/reports/{listed.id}/exact-digest.key", "/reports/rpt_nope"):
        assert Browser(app_client).get(missing).status_code == 404


def test_report_form_errors_are_next_to_their_fields_and_only_officers_publish(
    world: World, app_client: TestClient
) -> None:
    _released_and_pending(world, app_client)
    admin = staff_browser(world, "admin")
    admin.get("/staff/reports")
    r = admin.post("/staff/reports", {"period": "last spring"})
    assert r.status_code == 422
    assert 'id="period-error"' in r.text
    assert 'aria-invalid="true"' in r.text
    r = admin.post("/staff/reports", {"period": "2026", "epsilon": "lots"})
    assert r.status_code == 422
    assert 'id="epsilon-error"' in r.text
    r = admin.post("/staff/reports", {"period": "2026", "epsilon": "-1"})
    assert r.status_code == 422
    assert 'id="epsilon-error"' in r.text
    counsel = staff_browser(world, "counsel")
    page = counsel.get("/staff/reports")
    assert page.status_code == 200
    assert 'action="/staff/reports"' not in page.text
    assert counsel.post("/staff/reports", {"period": "2026"}).status_code == 403
    assert oversight.list_reports(world.ctx) == []
