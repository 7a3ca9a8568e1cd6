"""Plain words on people's pages: citations explained and linked to their text."""

from __future__ import annotations

from custos.web._words import citation, citation_url


def test_citations_carry_a_plain_line_and_a_link_to_their_text() -> None:
    c = citation("7 U.S.C. 2020(e)(8)(E)", "en")
    assert c.explanation.startswith("SNAP: address, SSN and photograph")
    assert c.url == (
        "https://uscode.house.gov/view.xhtml?req=granuleid:USC-prelim-title7-section2020"
    )
    assert citation("7 U.S.C. 2020(e)(8)(E)", "es").explanation.startswith("SNAP: dirección")
    assert citation_url("7 CFR 272.1(c)") == "https://www.ecfr.gov/current/title-7/section-272.1"
    assert citation_url("RSMo 208.120") == (
        "https://revisor.mo.gov/main/OneSection.aspx?section=208.120"
    )
    assert citation_url("Missouri DSS manual 0130.005.05.25") is None
