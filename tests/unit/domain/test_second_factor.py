"""TOTP codes (RFC 6238): the app's code signs in once, near its own time, and nothing else
does; administrators must have a second factor."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from custos.domain import second_factor as sf
from custos.domain.roles import Role

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#: Hypothesis takes naive bounds and adds the timezone itself.
moments = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)


# RFC 6238 Appendix B: the SHA-1 test vector's secret is the ASCII "12345678901234567890";
# at T = 59 s the 8-digit code is 94287082, so the 6-digit one is its last six digits.
def test_the_rfc_6238_test_vector() -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    at = dt.datetime.fromtimestamp(59, tz=dt.UTC)
    assert sf.code_at(secret, at) == "287082"
    assert sf.matching_step(secret, "287 082", at) == 1


@given(moments, st.integers(min_value=-1, max_value=1))
def test_the_apps_code_matches_once_within_a_step_either_side(now: dt.datetime, skew: int) -> None:
    code = sf.code_at(SECRET, now)
    later = now + dt.timedelta(seconds=sf.STEP_SECONDS * skew)
    step = sf.matching_step(SECRET, code, later)
    assert step == sf.step_of(now)
    # Once it has signed in, the same code is refused (RFC 6238 §5.2).
    assert sf.matching_step(SECRET, code, later, last_step=step) is None


@given(moments)
def test_a_code_from_far_away_in_time_does_not_match(now: dt.datetime) -> None:
    old = sf.code_at(SECRET, now - dt.timedelta(minutes=5))
    if old != sf.code_at(SECRET, now) and all(
        old != sf.code_at(SECRET, now + dt.timedelta(seconds=30 * k)) for k in (-1, 1)
    ):
        assert sf.matching_step(SECRET, old, now) is None


@given(st.text(max_size=12))
def test_anything_but_six_digits_is_refused(text: str) -> None:
    given_digits = "".join(text.split())
    if not (len(given_digits) == sf.DIGITS and given_digits.isdigit()):
        assert sf.matching_step(SECRET, text, dt.datetime.now(dt.UTC)) is None


def test_new_secrets_are_random_base32_an_app_reads() -> None:
    a, b = sf.new_secret(), sf.new_secret()
    assert a != b
    assert len(a) == 32
    uri = sf.provisioning_uri(a, account="admin", issuer="Missouri DSS")
    assert uri.startswith("otpauth://totp/")
    assert f"secret={a}" in uri


def test_administrators_must_have_a_second_factor() -> None:
    assert sf.required({Role.ADMIN})
    assert sf.required({Role.ADMIN, Role.AUDITOR})
    assert not sf.required({Role.APPROVER, Role.INTAKE, Role.LEGAL_REVIEWER, Role.AUDITOR})
