"""People's rights as services: sign-in, accounting, challenges, opt-out, notices.

The person whose data it is can learn every disclosure of it (the accounting pattern of
5 U.S.C. 552a(c)), challenge a pending request or a past disclosure, and opt out of what is
discretionary — without an agency employee's help, and with proof.

One small service per concern; the pure rules they apply are in `custos.rights`:

- `sessions`: access codes, sign-in (access code or OIDC), sessions, sign-out;
- `representatives`: representatives and the consents under which they act;
- `accounting`: a person's accounting of disclosures, as data, document or letter;
- `challenges`: filing and resolving challenges;
- `preferences`: opt-out and the language of letters;
- `notices`: the letter sweep and the notice queue;
- `disclosures` and `people`: the reads these services share.

Public concerns are a service of their own (`custos.workflow.concerns`), re-exported here.

Rules kept by every service:

- *Neither confirm nor deny.* A sign-in failure reads the same whether the case number exists
  or not. A request or disclosure id that is not the person's own reads like one that does
  not exist.
- *Own data only.* Every read is keyed by the signed-in person's pseudonym or person id, never
  by an id the caller supplies.
- *One transaction.* Every change and its ledger entry commit together
  (`custos.workflow.journal.record`). Person actions are logged as `person:<pseudonym>` or
  `representative:<id>`, never a name; reasons and letters (personal data) stay in the rights
  tables, not in the log.
"""

from custos.rights import (
    CHALLENGE_DOCUMENT_TYPES,
    CHALLENGE_WINDOW_DAYS,
    LOCKOUT_MINUTES,
    MAX_CHALLENGE_DOCUMENT_BYTES,
    MAX_CHALLENGE_DOCUMENTS,
    MAX_CONSENT_DAYS,
    MAX_REASON_CHARS,
    MAX_SIGNIN_FAILURES,
    RECALL_DAYS,
    Accounting,
    ChallengeDocument,
    ChallengeOutcome,
    ChallengeView,
    DisclosureView,
    InclusionProof,
    PendingView,
    SignInLockedError,
    accounting_json,
    withheld_message,
)
from custos.workflow.concerns import (
    MAX_CONCERN_CHARS,
    ConcernPriority,
    ConcernView,
    concern_queue,
    concern_status,
    report_concern,
    triage_concern,
)
from custos.workflow.rights.accounting import (
    accounting,
    accounting_for_staff,
    accounting_letter,
    withheld_summary,
)
from custos.workflow.rights.challenges import (
    challenge_queue,
    file_challenge,
    file_challenge_for,
    get_challenge,
    resolve_challenge,
)
from custos.workflow.rights.notices import (
    NoticeView,
    mark_notice_sent,
    notice_queue,
    render_notice,
    sweep_notices,
    sweep_notices_as,
)
from custos.workflow.rights.people import find_person
from custos.workflow.rights.preferences import set_language, set_opt_out
from custos.workflow.rights.representatives import (
    ConsentView,
    RegisteredRepresentative,
    RepresentativeView,
    act_for,
    grant_consent,
    list_consents,
    list_representatives,
    register_representative,
    representative_consents,
    representative_from_token,
    revoke_consent,
)
from custos.workflow.rights.sessions import (
    ACCESS_CODE_DAYS,
    PERSON_SESSION_MINUTES,
    AccessCodeSignIn,
    IssuedCode,
    OidcSignIn,
    OpenedSession,
    PersonSignIn,
    issue_access_code,
    person_from_session,
    sign_out,
)

__all__ = [
    "ACCESS_CODE_DAYS",
    "CHALLENGE_DOCUMENT_TYPES",
    "CHALLENGE_WINDOW_DAYS",
    "LOCKOUT_MINUTES",
    "MAX_CHALLENGE_DOCUMENTS",
    "MAX_CHALLENGE_DOCUMENT_BYTES",
    "MAX_CONCERN_CHARS",
    "MAX_CONSENT_DAYS",
    "MAX_REASON_CHARS",
    "MAX_SIGNIN_FAILURES",
    "PERSON_SESSION_MINUTES",
    "RECALL_DAYS",
    "AccessCodeSignIn",
    "Accounting",
    "ChallengeDocument",
    "ChallengeOutcome",
    "ChallengeView",
    "ConcernPriority",
    "ConcernView",
    "ConsentView",
    "DisclosureView",
    "InclusionProof",
    "IssuedCode",
    "NoticeView",
    "OidcSignIn",
    "OpenedSession",
    "PendingView",
    "PersonSignIn",
    "RegisteredRepresentative",
    "RepresentativeView",
    "SignInLockedError",
    "accounting",
    "accounting_for_staff",
    "accounting_json",
    "accounting_letter",
    "act_for",
    "challenge_queue",
    "concern_queue",
    "concern_status",
    "file_challenge",
    "file_challenge_for",
    "find_person",
    "get_challenge",
    "grant_consent",
    "issue_access_code",
    "list_consents",
    "list_representatives",
    "mark_notice_sent",
    "notice_queue",
    "person_from_session",
    "register_representative",
    "render_notice",
    "report_concern",
    "representative_consents",
    "representative_from_token",
    "resolve_challenge",
    "revoke_consent",
    "set_language",
    "set_opt_out",
    "sign_out",
    "sweep_notices",
    "sweep_notices_as",
    "triage_concern",
    "withheld_message",
    "withheld_summary",
]
