"""Plain words for what people's pages show: citations with a one-line explanation and a link
to their text (fields and programs are named by `custos.domain.words`, as letters name them).

Citations are explained by the authorities table (`custos.policy.authorities`, English and
Spanish titles) and linked to the official text where the citation's form says where that is:
the U.S. Code at the House's Office of the Law Revision Counsel, the CFR at eCFR, Missouri
statutes at the Revisor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from custos.policy import authorities

_USC = re.compile(r"^(\d+) U\.S\.C\. (\w+)")
_CFR = re.compile(r"^(\d+) CFR (\d+)\.(\d+)")
_RSMO = re.compile(r"^RSMo (\d+\.\d+)")


@dataclass(frozen=True, kw_only=True)
class Citation:
    citation: str
    #: One line in plain words ("" when the authorities table does not know it).
    explanation: str
    #: The official text, when the citation says where it is.
    url: str | None


def citation_url(citation: str) -> str | None:
    """Where the cited text can be read, or None."""
    if m := _USC.match(citation):
        return (
            "https://uscode.house.gov/view.xhtml?req=granuleid:USC-prelim-title"
            f"{m[1]}-section{m[2]}"
        )
    if m := _CFR.match(citation):
        return f"https://www.ecfr.gov/current/title-{m[1]}/section-{m[2]}.{m[3]}"
    if m := _RSMO.match(citation):
        return f"https://revisor.mo.gov/main/OneSection.aspx?section={m[1]}"
    return None


def citation(text: str, lang: str = "en") -> Citation:
    known = authorities().known.get(text)
    explanation = ""
    if known is not None:
        explanation = known.title_es if lang == "es" else known.title
    return Citation(citation=text, explanation=explanation, url=citation_url(text))
