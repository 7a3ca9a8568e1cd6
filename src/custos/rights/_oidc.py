"""Sign-in through the state's OpenID Connect provider (authorization code flow).

A deployment that runs a state identity provider can let people sign in with it instead of
an access code. Custos builds the authorization request with Authlib and verifies the ID
token the provider returns (OpenID Connect Core 1.0 §3.1.3.7) with joserfc, Authlib's JOSE
library: signature against the provider's JWKS, `iss`, `aud`, `exp`, `iat` and the `nonce`
bound to this sign-in. The provider must vouch for the person's case number (a claim named
by `case_number_claim`, e.g. through the state's identity proofing) and birth date
(`birthdate`, OIDC Core §5.1); Custos then matches them exactly as the access-code sign-in
does, minus the code.

Setup (see `custos.workflow.rights.OidcSignIn`):

1. register Custos as a confidential client at the provider, with redirect URI
   `https://<host>/v1/people/session/oidc/callback` (or the deployment's own page);
2. fetch the provider's JWKS (its `jwks_uri` from `/.well-known/openid-configuration`) and
   refresh it on the provider's schedule; pass it as `jwks`;
3. build `OidcConfig(...)`, wrap it in `OidcSignIn`, and install it on the API with
   `custos.api.people.install_oidc(app, sign_in)`;
4. the web page sends people to `authorization_url(state=…, nonce=…)`, exchanges the code for
   tokens at the token endpoint (Authlib's OAuth2 client does this), and posts the ID token
   and nonce to `POST /v1/people/session/oidc`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749.parameters import (  # type: ignore[import-untyped]  # no types
    prepare_grant_uri,
)
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from custos.domain.errors import AuthenticationError


@dataclass(frozen=True, kw_only=True)
class OidcConfig:
    issuer: str
    client_id: str
    authorization_endpoint: str
    redirect_uri: str
    #: The provider's JSON Web Key Set (public keys only).
    jwks: Mapping[str, Any]
    case_number_claim: str = "custos_case_number"
    birthdate_claim: str = "birthdate"
    scope: str = "openid"
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    #: Seconds of clock skew tolerated on `exp` and `iat`.
    leeway: int = 60
    extra_params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class OidcIdentity:
    """What the provider vouched for."""

    subject: str
    case_number: str
    birth_date: dt.date


class OidcVerifier:
    """Builds authorization requests and verifies ID tokens for one provider."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self._keys = KeySet.import_key_set(config.jwks)  # type: ignore[arg-type]  # a JWKS dict

    def authorization_url(self, *, state: str, nonce: str) -> str:
        c = self.config
        url: str = prepare_grant_uri(
            c.authorization_endpoint,
            c.client_id,
            "code",
            redirect_uri=c.redirect_uri,
            scope=c.scope,
            state=state,
            nonce=nonce,
            **c.extra_params,
        )
        return url

    def verify(self, id_token: str, *, nonce: str, now: dt.datetime) -> OidcIdentity:
        """Verify an ID token (OIDC Core §3.1.3.7); every failure reads the same."""
        c = self.config
        try:
            token = jwt.decode(id_token, self._keys, algorithms=list(c.algorithms))
            registry = jwt.JWTClaimsRegistry(
                now=int(now.timestamp()),
                leeway=c.leeway,
                iss={"essential": True, "value": c.issuer},
                aud={"essential": True, "value": c.client_id},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(token.claims)
            claims = token.claims
            case_number = str(claims[c.case_number_claim])
            birth_date = dt.date.fromisoformat(str(claims[c.birthdate_claim]))
        except (JoseError, KeyError, ValueError):
            raise AuthenticationError("the identity provider's sign-in is not valid") from None
        return OidcIdentity(
            subject=str(claims["sub"]), case_number=case_number, birth_date=birth_date
        )
