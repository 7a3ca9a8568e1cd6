"""The officers' second factor (RFC 6238): a code is accepted in its step or one either side,
once, and nothing else is."""

from __future__ import annotations

import base64
import datetime as dt
import re

from hypothesis import given
from hypothesis import strategies as st

from custos.domain import totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
START = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)

moments = st.integers(min_value=0, max_value=10 * 365 * 24 * 3600).map(
    lambda s: START + dt.timedelta(seconds=s)
)


def test_rfc_6238_appendix_b_vector() -> None:
    """The RFC's SHA-1 test vector (T = 59 s → 94287082), cut to the six digits apps show."""
    rfc_secret = base64.b32encode(b"12345678901234567890").decode()
    at = dt.datetime.fromtimestamp(59, tz=dt.UTC)
    assert totp.code_at(rfc_secret, at) == "287082"


@given(moments)
def test_the_current_code_is_accepted_once(at: dt.datetime) -> None:
    code = totp.code_at(SECRET, at)
    step = totp.accepted_step(SECRET, code, at, None)
    assert step is not None
    assert totp.accepted_step(SECRET, code, at, step) is None
    # Typed with the space apps print in the middle, it is the same code.
    assert totp.accepted_step(SECRET, f"{code[:3]} {code[3:]}", at, None) == step


@given(moments, st.integers(min_value=2, max_value=1000))
def test_codes_of_far_steps_are_refused(at: dt.datetime, steps: int) -> None:
    for direction in (1, -1):
        other = totp.code_at(SECRET, at + dt.timedelta(seconds=30 * steps * direction))
        if other != totp.code_at(SECRET, at) and all(
            other != totp.code_at(SECRET, at + dt.timedelta(seconds=30 * d)) for d in (-1, 1)
        ):
            assert totp.accepted_step(SECRET, other, at, None) is None


@given(moments)
def test_a_next_step_code_is_accepted_for_drift(at: dt.datetime) -> None:
    ahead = totp.code_at(SECRET, at + dt.timedelta(seconds=30))
    assert totp.accepted_step(SECRET, ahead, at, None) is not None


@given(st.text(max_size=12))
def test_anything_but_six_digits_is_refused(typed: str) -> None:
    if re.fullmatch(r"[0-9]{6}", totp.normalise(typed)):
        return
    assert totp.accepted_step(SECRET, typed, START, None) is None


def test_the_uri_names_the_account_and_the_issuer() -> None:
    uri = totp.provisioning_uri(SECRET, account="cpd.nguyen", issuer="Missouri DSS")
    assert uri.startswith("otpauth://totp/")
    assert "cpd.nguyen" in uri
    assert f"secret={SECRET}" in uri
    assert len(totp.new_secret()) == 32
