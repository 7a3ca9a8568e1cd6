"""Every word of the public portal has its Spanish; every code shown to people reads well."""

from __future__ import annotations

import re
from pathlib import Path

from custos.domain.disclosure import Purpose
from custos.domain.legal import LegalProcessKind
from custos.rights import PersonScope
from custos.web import _i18n, public
from custos.web._render import TEMPLATES_DIR

_CALL = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")
PUBLIC_FILES = [
    TEMPLATES_DIR / "base.html",
    TEMPLATES_DIR / "error.html",
    TEMPLATES_DIR / "_report.html",
    *sorted((TEMPLATES_DIR / "public").glob("*.html")),
]


def _strings(path: Path) -> set[str]:
    return {a or b for a, b in _CALL.findall(path.read_text(encoding="utf-8"))}


def _python_strings() -> set[str]:
    source = Path(public.__file__).read_text(encoding="utf-8")
    # Adjacent literals inside _( … ) are one string.
    out = set()
    for m in re.finditer(r"_\(\s*((?:\"[^\"]*\"\s*)+)\)", source):
        out.add("".join(re.findall(r"\"([^\"]*)\"", m.group(1))))
    return out


def test_every_public_string_has_a_spanish_translation() -> None:
    used = set().union(*(_strings(p) for p in PUBLIC_FILES)) | _python_strings()
    assert len(used) > 100
    missing = sorted(s for s in used if s not in _i18n.SPANISH)
    assert not missing, missing


def test_codes_people_see_are_translated() -> None:
    codes = {p.value for p in Purpose} | {k.value for k in LegalProcessKind}
    codes |= {s.value for s in PersonScope}
    codes |= {"pending", "on_hold", "open", "upheld", "rejected", "released", "delivered"}
    codes |= {"retention_expired", "overdue", "destroyed", "recalled"}
    assert not sorted(codes - set(_i18n.SPANISH))


def test_english_reads_codes_as_words() -> None:
    en = _i18n.translator("en")
    assert en("civil_immigration_enforcement") == "civil immigration enforcement"
    assert en("on_hold") == "on hold (challenged)"
    assert en("Sign in") == "Sign in"
    assert _i18n.translator("es")("Sign in") == "Iniciar sesión"
