"""Report periods in words, as people say them, in both languages."""

from __future__ import annotations

import pytest

from custos.web._i18n import period_in_words


@pytest.mark.parametrize(
    ("label", "en", "es"),
    [
        ("2026-H2", "second half of 2026", "segundo semestre de 2026"),
        ("2026-H1", "first half of 2026", "primer semestre de 2026"),
        ("2026-Q3", "third quarter of 2026", "tercer trimestre de 2026"),
        ("2026-03", "March 2026", "marzo de 2026"),
        ("2026", "2026", "2026"),
        ("custom", "custom", "custom"),
    ],
)
def test_periods_read_as_words(label: str, en: str, es: str) -> None:
    assert period_in_words(label, "en") == en
    assert period_in_words(label, "es") == es
