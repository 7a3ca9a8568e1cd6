"""People's rights: accounting of disclosures, challenges, opt-outs, notices, representatives.

The pure parts live here — the accounting built from ledger entries (`_accounting`), its
offline proof check (`_proofs`), access codes (`_codes`), letters from templates
(`_render`), and the OpenID Connect verifier (`_oidc`). The services that read and change
the store are in `custos.workflow.rights`.
"""

from custos.rights._accounting import (
    AccountingEntry,
    DisclosureStatus,
    Withheld,
    disclosure_status,
    parse_entry,
    split_visible,
)
from custos.rights._codes import generate as generate_code
from custos.rights._codes import normalize as normalize_code
from custos.rights._codes import normalize_case_number
from custos.rights._oidc import OidcConfig, OidcIdentity, OidcVerifier
from custos.rights._principal import ALL_SCOPES, PersonPrincipal, PersonScope
from custos.rights._proofs import FORMAT, VerifiedAccounting, verify_accounting
from custos.rights._render import (
    LANGUAGES,
    NoticeKind,
    check_language,
    html_to_pdf,
    render_html,
    render_pdf,
)

__all__ = [
    "ALL_SCOPES",
    "FORMAT",
    "LANGUAGES",
    "AccountingEntry",
    "DisclosureStatus",
    "NoticeKind",
    "OidcConfig",
    "OidcIdentity",
    "OidcVerifier",
    "PersonPrincipal",
    "PersonScope",
    "VerifiedAccounting",
    "Withheld",
    "check_language",
    "disclosure_status",
    "generate_code",
    "html_to_pdf",
    "normalize_case_number",
    "normalize_code",
    "parse_entry",
    "render_html",
    "render_pdf",
    "split_visible",
    "verify_accounting",
]
