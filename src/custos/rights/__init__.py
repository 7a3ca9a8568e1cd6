"""People's rights: accounting of disclosures, challenges, opt-outs, notices, representatives.

The pure parts live here, with no database session:

- `_accounting`: the accounting built from ledger entries, and the views a person sees;
- `_document`: the downloadable accounting document, its writer and its offline verifier;
  `_completeness` and `_release_status` write and check its proof that the list is complete
  and that each status is what the release's logged events make it;
- `_challenges`: what a challenge may carry, and the challenge window releases wait out;
- `_consent`: what a consent to a representative may cover and how long it lives;
- `_lockout`: the sign-in lockout policy;
- `_letters`: which letters are due to a person;
- `_codes` (access codes), `_render` (letters from templates), `_oidc` (the OpenID Connect
  verifier) and `_principal` (who acts in a person's rights).

The services that read and change the store are in `custos.workflow.rights`.
"""

from custos.rights._accounting import (
    Accounting,
    AccountingEntry,
    DisclosureStatus,
    DisclosureView,
    InclusionProof,
    PendingView,
    Withheld,
    disclosure_status,
    parse_entry,
    release_status,
    split_visible,
    status_from_events,
    withheld_message,
)
from custos.rights._challenges import (
    CHALLENGE_DOCUMENT_TYPES,
    CHALLENGE_WINDOW_DAYS,
    MAX_CHALLENGE_DOCUMENT_BYTES,
    MAX_CHALLENGE_DOCUMENTS,
    MAX_CHALLENGE_WINDOW_DAYS,
    MAX_REASON_CHARS,
    RECALL_DAYS,
    ChallengeDocument,
    ChallengeOutcome,
    ChallengeView,
    LetterGroup,
    ReleaseWindow,
    challenge_by,
    challenge_is_timely,
    check_challenge,
    document_problems,
    earliest_release,
    last_challenge_day,
    recall_deadline,
    release_window,
    window_days,
)
from custos.rights._codes import generate as generate_code
from custos.rights._codes import normalize as normalize_code
from custos.rights._codes import normalize_case_number
from custos.rights._consent import MAX_CONSENT_DAYS, check_consent, consent_expiry, consent_live
from custos.rights._document import FORMAT, VerifiedAccounting, accounting_json, verify_accounting
from custos.rights._letters import (
    made_key,
    made_letter,
    noticed_classes,
    notify_before,
    pending_key,
    pending_letter,
)
from custos.rights._lockout import (
    LOCKOUT_MINUTES,
    MAX_SIGNIN_FAILURES,
    SIGNIN_FAILED,
    SignInLockedError,
    lock_until,
    locked_message,
    still_locked,
)
from custos.rights._oidc import OidcConfig, OidcIdentity, OidcVerifier
from custos.rights._principal import ALL_SCOPES, PersonPrincipal, PersonScope
from custos.rights._release_status import ReleaseEvent, ReleaseLifecycle
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
    "CHALLENGE_DOCUMENT_TYPES",
    "CHALLENGE_WINDOW_DAYS",
    "FORMAT",
    "LANGUAGES",
    "LOCKOUT_MINUTES",
    "MAX_CHALLENGE_DOCUMENTS",
    "MAX_CHALLENGE_DOCUMENT_BYTES",
    "MAX_CHALLENGE_WINDOW_DAYS",
    "MAX_CONSENT_DAYS",
    "MAX_REASON_CHARS",
    "MAX_SIGNIN_FAILURES",
    "RECALL_DAYS",
    "SIGNIN_FAILED",
    "Accounting",
    "AccountingEntry",
    "ChallengeDocument",
    "ChallengeOutcome",
    "ChallengeView",
    "DisclosureStatus",
    "DisclosureView",
    "InclusionProof",
    "LetterGroup",
    "NoticeKind",
    "OidcConfig",
    "OidcIdentity",
    "OidcVerifier",
    "PendingView",
    "PersonPrincipal",
    "PersonScope",
    "ReleaseEvent",
    "ReleaseLifecycle",
    "ReleaseWindow",
    "SignInLockedError",
    "VerifiedAccounting",
    "Withheld",
    "accounting_json",
    "challenge_by",
    "challenge_is_timely",
    "check_challenge",
    "check_consent",
    "check_language",
    "consent_expiry",
    "consent_live",
    "disclosure_status",
    "document_problems",
    "earliest_release",
    "generate_code",
    "html_to_pdf",
    "last_challenge_day",
    "lock_until",
    "locked_message",
    "made_key",
    "made_letter",
    "normalize_case_number",
    "normalize_code",
    "noticed_classes",
    "notify_before",
    "parse_entry",
    "pending_key",
    "pending_letter",
    "recall_deadline",
    "release_status",
    "release_window",
    "render_html",
    "render_pdf",
    "split_visible",
    "status_from_events",
    "still_locked",
    "verify_accounting",
    "window_days",
    "withheld_message",
]
