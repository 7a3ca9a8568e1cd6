"""Settings, read from `CUSTOS_*` environment variables only when asked.

Nothing reads the environment at import time: `Settings()` is built by the CLI or by
`create_app`, and tests build their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from custos.domain.errors import CustosError

#: The demo's pseudonym secret. It is public, so `Settings` refuses it unless `demo` is set.
DEMO_PSEUDONYM_SECRET = "custos-demo-pseudonym-secret-not-for-production"  # noqa: S105  # nosec B105  (public by design)
#: HMAC keys shorter than this are refused.
MIN_SECRET_BYTES = 16
#: Where the log is served unless configured (and so, its origin line).
DEFAULT_LEDGER_URL = "https://custos.example.gov/ledger"


def origin_of(url: str) -> str:
    """A log's origin line from its URL prefix: no scheme, no trailing slashes (tlog-tiles)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("CUSTOS_LEDGER_URL must be an http or https URL")
    return (parts.netloc + parts.path).rstrip("/")


#: `CUSTOS_*` variables that are not settings: the test suite's database and its cheap hashing
#: (`custos.workflow.hashing`), the CLI's password.
OTHER_VARIABLES = frozenset(
    {"CUSTOS_TEST_POSTGRES_URL", "CUSTOS_INSECURE_FAST_HASHING_FOR_TESTS", "CUSTOS_NEW_PASSWORD"}
)


class ConfigurationError(CustosError):
    """A setting needed for this operation is missing or unusable."""

    kind = "configuration"
    status = 500
    exit_code = 78  # EX_CONFIG


class Settings(BaseSettings):
    """Every setting of Custos. Each is documented in the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="CUSTOS_", frozen=True, extra="forbid")

    #: SQLAlchemy URL. SQLite (the default) or `postgresql+psycopg://…`.
    database_url: str = "sqlite:///./var/custos.db"
    #: Where Custos keeps files: legal documents, keys, release ciphertext.
    data_dir: Path = Path("./var")
    #: Demo mode: allows the public demo secret and prints demo credentials.
    demo: bool = False
    #: Secret for people's pseudonyms in the ledger (HMAC key, ≥ 16 bytes).
    pseudonym_secret: SecretStr | None = None
    #: Directory holding the policy packs.
    policies_dir: Path = Path("./policies")
    #: The policy pack in force.
    active_pack: str = "missouri-dss"
    #: The public URL prefix of the log (C2SP tlog-tiles): `<prefix>/checkpoint` and
    #: `<prefix>/tile/…` are served at this URL's path.
    ledger_url: str = DEFAULT_LEDGER_URL
    #: The log's origin line in checkpoints (C2SP checkpoint); by default `ledger_url` without
    #: its scheme and trailing slashes, as tlog-tiles recommends.
    ledger_origin: str = ""
    #: Path to the ledger's signer key (signed-note format); created in demo mode when missing.
    ledger_key_path: Path | None = None
    #: Path to the key (32 random bytes, base64, mode 0600) that encrypts staff's and
    #: officers' TOTP secrets in the database; created in demo mode when missing.
    totp_key_path: Path | None = None
    #: Seconds between automatic checkpoints while serving.
    checkpoint_interval_seconds: int = Field(default=60, ge=1)
    #: Seconds the log waits for a witness to answer an `add-checkpoint` (C2SP tlog-witness).
    witness_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    #: Seconds between rounds of upkeep while serving (retention deadlines, purge, alerts).
    housekeeping_interval_seconds: int = Field(default=3600, ge=60)
    #: Days a release's internal ciphertext is kept after delivery before it is purged.
    purge_grace_days: int = Field(default=30, ge=0, le=3650)
    #: Lifetime of requester API tokens, in days.
    token_lifetime_days: int = Field(default=90, ge=1, le=3650)
    #: Largest legal document accepted on upload, in bytes.
    max_document_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    #: Privacy-loss budget (epsilon) of each calendar quarter and population for noisy reports.
    report_epsilon_budget: float = Field(default=2.0, gt=0, le=100)
    #: Protection range of a withheld count from 1 to 10 across all published reports:
    #: "width" (its interval is at least the width below) or "band" (it spans the whole 1–10
    #: band: the strongest, at the cost of more withheld cells in sparse tables).
    report_protection: Literal["band", "width"] = "width"
    #: Least width of a withheld count's interval when `report_protection` is "width".
    report_protection_width: int = Field(default=2, ge=1, le=1000)
    #: Largest JSON (or form) request body accepted, in bytes; larger ones get 413 unparsed.
    #: Room for a challenge with its attached documents (base64).
    max_json_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    #: Log every HTTP request (uvicorn's access log). Off by default: at hundreds of requests
    #: a second the log line costs more than a trivial request, and the ledger already
    #: records every state change.
    access_log: bool = False

    @model_validator(mode="before")
    @classmethod
    def _default_origin(cls, data: Any) -> Any:
        if isinstance(data, dict):
            origin = origin_of(data.get("ledger_url", DEFAULT_LEDGER_URL))  # validates the URL
            if not data.get("ledger_origin"):
                data = {**data, "ledger_origin": origin}
        return data

    #: The agency's name, printed on every letter and in the public pages' footer.
    agency_name: str = "Missouri Department of Social Services (demo)"
    #: The agency's postal address for letters and the footer (lines separated by ", ").
    agency_address: str = "P.O. Box 0000, Jefferson City, MO 65102"
    #: The phone number people call with questions about their letters.
    agency_phone: str = "1-800-555-0100"
    #: The public address of this portal, printed on letters so people can find it.
    public_url: str = "https://privacy.dss.example.gov"

    @model_validator(mode="after")
    def _secret_rules(self) -> Settings:
        secret = self.pseudonym_secret.get_secret_value() if self.pseudonym_secret else None
        if secret == DEMO_PSEUDONYM_SECRET and not self.demo:
            raise ValueError("the demo pseudonym secret may not be used outside demo mode")
        if secret is not None and len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError("CUSTOS_PSEUDONYM_SECRET must be at least 16 bytes")
        return self

    @classmethod
    def unknown_variables(cls, environ: Mapping[str, str]) -> list[str]:
        """`CUSTOS_*` variables that name no setting: a typo would otherwise fall back to a
        default silently (a mistyped database URL would mean the embedded database)."""
        known = {f"CUSTOS_{name.upper()}" for name in cls.model_fields} | OTHER_VARIABLES
        return sorted(k for k in environ if k.startswith("CUSTOS_") and k not in known)

    @property
    def pseudonym_key(self) -> bytes:
        """The HMAC key for pseudonyms. Required to run Custos over a database; offline tools
        (policy check, the verifiers) never ask for it, so they work without it."""
        if self.pseudonym_secret is not None:
            return self.pseudonym_secret.get_secret_value().encode()
        if self.demo:
            return DEMO_PSEUDONYM_SECRET.encode()
        raise ConfigurationError("CUSTOS_PSEUDONYM_SECRET is required outside demo mode")

    @property
    def ledger_path(self) -> str:
        """The URL path the log's tiles and checkpoint are served under ("" for the root)."""
        return urlsplit(self.ledger_url).path.rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
