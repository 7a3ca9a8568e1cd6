"""The HTML report in real Chromium: the charts render as SVG, with bars and titles."""

from __future__ import annotations

from typing import Any

import pytest

from custos.workflow import oversight
from tests.e2e.conftest import browser  # noqa: F401  (the shared Chromium fixture)
from tests.integration.oversight.conftest import Season


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_charts_render_in_chromium(season: Season, browser: Any) -> None:  # noqa: F811
    published = oversight.transparency_report(season.world.ctx, period="2026-H1", pdf=False)
    page = browser.new_page()
    try:
        page.goto((published.directory / "report.html").as_uri())
        charts = page.locator("svg.chart")
        assert charts.count() == 10
        assert page.locator("svg.chart rect.bar").count() > 10
        assert page.locator("svg.chart rect.bar.withheld").count() >= 1
        assert page.locator("svg.chart title").first.text_content()
        box = charts.first.bounding_box()
        assert box is not None
        assert box["width"] > 100
        assert box["height"] > 50
        assert "Transparency report" in page.title()
    finally:
        page.close()
