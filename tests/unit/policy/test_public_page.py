"""The public policy page: plain language a person can read, built from the pack in force.

42 CFR 431.300–431.307 asks that the Medicaid safeguards be publicised; a page that few people
can read publicises nothing. Every English rule summary and every section of the page must read
at a Flesch-Kincaid grade of 8 or lower, measured with `textstat`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import textstat

from custos.policy import Pack, duration_words, load_pack, public_model, public_page
from tests.unit.policy.policy_support import POLICIES

PACKS = ("missouri-dss", "sanctuary", "federal-floor")
MAX_GRADE = 8.0


def _texts(pack: Pack) -> Iterator[tuple[str, str]]:
    for rule in pack.rules.values():
        yield rule.id, rule.summary
    yield pack.default_deny.rule_id, pack.default_deny.summary
    model = public_model(pack, "en")
    yield "intro", model["intro"]
    yield "retention", model["retention"]
    for section in model["sections"]:
        if section["note"]:
            yield f"{section['id']} note", section["note"]
    for key in ("else", "opt_out", "challenge", "counsel_review"):
        yield key, model[key]["text"]


@pytest.mark.parametrize("name", PACKS)
def test_every_english_text_reads_at_grade_eight_or_lower(name: str) -> None:
    pack = load_pack(POLICIES / name)
    hard = {
        where: grade
        for where, text in _texts(pack)
        if (grade := textstat.flesch_kincaid_grade(text)) > MAX_GRADE
    }
    assert hard == {}


@pytest.mark.parametrize("name", PACKS)
def test_required_comes_apart_from_chosen(name: str) -> None:
    pack = load_pack(POLICIES / name)
    model = public_model(pack, "en")
    sections = {s["id"]: s for s in model["sections"]}
    required = sections["required"]["items"]
    assert len(required) == sum(r.compelled for r in pack.rules.values())
    assert any("7 U.S.C. 2020(e)(8)(E)" in a for item in required for a in item["authorities"])
    chosen = sections.get("chosen", {"items": []})["items"]
    assert not any("2020(e)(8)(E)" in a for item in chosen for a in item["authorities"])
    if name == "sanctuary":
        assert "chosen" not in sections


@pytest.mark.parametrize("lang", ["en", "es"])
def test_page_has_a_table_of_contents_years_and_counsel_note(missouri: Pack, lang: str) -> None:
    model = public_model(missouri, lang)
    ids = [e["id"] for e in model["toc"]["entries"]]
    assert ids[:2] == ["required", "chosen"]
    assert "counsel-review" in ids
    html = public_page(missouri, lang, "html")
    for anchor in ids:
        assert f'href="#{anchor}"' in html
        assert f'id="{anchor}"' in html
    assert ("5 years" if lang == "en" else "5 años") in model["retention"]
    assert "1825" not in html
    note = model["counsel_review"]["text"]
    assert note == (
        missouri.counsel_review_note if lang == "en" else missouri.counsel_review_note_es
    )
    md = public_page(missouri, lang, "markdown")
    assert f"(#{ids[0]})" in md


def test_durations_read_in_years_and_months() -> None:
    assert duration_words(1825) == "5 years"
    assert duration_words(365) == "1 year"
    assert duration_words(90) == "3 months"
    assert duration_words(548) == "1 year and 6 months"
    assert duration_words(10) == "10 days"
    assert duration_words(2190, "es") == "6 años"
    assert duration_words(400, "es") == "1 año y 1 mes"
