"""Every page in a real browser: no serious or critical axe-core violations, in both
languages, with and without form errors; the Content-Security-Policy holds (no console
errors about blocked scripts or styles)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Live, axe_violations
from tests.e2e.tour import PHONE, TOUR, Stop, is_public, seed, walk

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_every_page_is_accessible_and_keeps_to_its_csp(browser: Any, live: Live) -> None:
    seeded = seed(live)
    problems: list[str] = []
    visited: list[str] = []
    console: list[str] = []
    watched: set[int] = set()

    def visit(page: Any, stop: Stop) -> None:
        if id(page) not in watched:
            watched.add(id(page))
            page.on(
                "console",
                lambda m: console.append(m.text) if m.type == "error" else None,
            )
        visited.append(stop.name)
        assert page.locator("h1").count() == 1, f"{stop.name}: one h1 per page"
        for v in axe_violations(page):
            targets = "; ".join(n["target"][0] for n in v["nodes"][:3])
            problems.append(f"{stop.name}: {v['id']} ({v['impact']}) {v['help']} — {targets}")

    walk(browser, live, seeded, visit)
    assert visited == [s.name for s in TOUR]
    assert not problems, "\n".join(problems)
    assert not [c for c in console if "Content Security Policy" in c], console


def test_no_public_or_person_page_scrolls_sideways_on_a_phone(browser: Any, live: Live) -> None:
    """At 390×844 CSS pixels every page for the public, people and representatives fits the
    width: nothing makes the whole page scroll sideways (tables reflow into cards)."""
    seeded = seed(live)
    stops = tuple(s for s in TOUR if is_public(s))
    wide: list[str] = []
    problems: list[str] = []

    def visit(page: Any, stop: Stop) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide.append(f"{stop.name}: {width} px wide")
        problems.extend(
            f"{stop.name}: {v['id']} ({v['impact']}) {v['help']}" for v in axe_violations(page)
        )

    walk(browser, live, seeded, visit, viewport=PHONE, stops=stops)
    assert not wide, "\n".join(wide)
    assert not problems, "\n".join(problems)


def test_keyboard_alone_reaches_the_main_content(browser: Any, live: Live) -> None:
    page = browser.new_page()
    try:
        page.goto(live.url + "/")
        page.keyboard.press("Tab")
        skip = page.locator(":focus")
        assert skip.inner_text() == "Skip to main content"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
    finally:
        page.close()
