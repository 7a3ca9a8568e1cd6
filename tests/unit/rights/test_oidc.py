"""The OIDC verifier against a locally generated provider key (no network)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from custos.domain.errors import AuthenticationError
from custos.rights import OidcConfig, OidcVerifier

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
KEY = RSAKey.generate_key(2048, parameters={"kid": "state-idp-1"})


def _verifier() -> OidcVerifier:
    return OidcVerifier(
        OidcConfig(
            issuer="https://login.mo.example",
            client_id="custos",
            authorization_endpoint="https://login.mo.example/authorize",
            redirect_uri="https://custos.example/cb",
            jwks=KeySet([KEY]).as_dict(private=False),
        )
    )


def _token(**overrides: Any) -> str:
    claims = {
        "iss": "https://login.mo.example",
        "aud": "custos",
        "sub": "user-1",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 300,
        "nonce": "n-1",
        "custos_case_number": "9000000001",
        "birthdate": "1986-03-14",
        **overrides,
    }
    return jwt.encode({"alg": "RS256", "kid": "state-idp-1"}, claims, KEY)


def test_a_valid_id_token_names_case_number_and_birth_date() -> None:
    identity = _verifier().verify(_token(), nonce="n-1", now=NOW)
    assert identity.case_number == "9000000001"
    assert identity.birth_date == dt.date(1986, 3, 14)


@pytest.mark.parametrize(
    "overrides",
    [
        {"nonce": "replayed"},
        {"aud": "someone-else"},
        {"iss": "https://evil.example"},
        {"exp": int(NOW.timestamp()) - 3600},
        {"custos_case_number": None},
    ],
)
def test_bad_tokens_are_refused(overrides: dict[str, Any]) -> None:
    claims = {k: v for k, v in overrides.items() if v is not None}
    token = _token(**claims)
    if overrides.get("custos_case_number", "") is None:
        token = jwt.encode(
            {"alg": "RS256", "kid": "state-idp-1"},
            {
                "iss": "https://login.mo.example",
                "aud": "custos",
                "sub": "u",
                "iat": int(NOW.timestamp()),
                "exp": int(NOW.timestamp()) + 300,
                "nonce": "n-1",
            },
            KEY,
        )
    with pytest.raises(AuthenticationError):
        _verifier().verify(token, nonce="n-1", now=NOW)


def test_a_token_signed_by_another_key_is_refused() -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "state-idp-1"})
    token = jwt.encode(
        {"alg": "RS256", "kid": "state-idp-1"},
        {"iss": "https://login.mo.example", "aud": "custos", "sub": "u", "nonce": "n-1"},
        other,
    )
    with pytest.raises(AuthenticationError):
        _verifier().verify(token, nonce="n-1", now=NOW)


def test_authorization_url_carries_state_and_nonce() -> None:
    url = _verifier().authorization_url(state="s-1", nonce="n-1")
    assert url.startswith("https://login.mo.example/authorize?response_type=code")
    assert "state=s-1" in url
    assert "nonce=n-1" in url
