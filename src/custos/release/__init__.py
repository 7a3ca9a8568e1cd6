"""Releases: minimize, package, encrypt and sign what leaves the agency (safeguards S3, S5, S6).

Pure capability code: no database, no HTTP. `custos.workflow.releases` drives it inside the
transactions that also write the release's ledger entries.

- `plan_release` folds the stored per-class decisions into what each class may receive;
- `minimize` turns record columns into exactly those fields (Polars, whole columns at once);
- `serialize` + `seal` stream the payload through age (`pyrage`) to disk as ciphertext only;
- `build_manifest` says what a manifest holds, from facts the service gathered;
- `_manifest` signs the manifest as a C2SP signed note with the agency key;
- `stream_package` / `verify_package` are the package the recipient downloads and checks.
"""

from custos.release import _manifest as manifest
from custos.release._describe import Contents, Disclosure, LedgerAnchor, build_manifest
from custos.release._errors import ReleaseError, ReleaseVerificationError
from custos.release._minimize import (
    SOURCES,
    FieldSource,
    Minimized,
    benefit_column,
    bind_fields,
    minimize,
    needed_columns,
)
from custos.release._package import (
    MANIFEST,
    MANIFEST_COPY,
    SIGNATURE,
    Member,
    VerifiedPackage,
    payload_name,
    stream_package,
    verify_package,
)
from custos.release._payload import (
    PayloadFormat,
    Sealed,
    open_digest,
    parse_recipients,
    seal,
    seal_bytes,
    serialize,
)
from custos.release._plan import ClassPlan, ReleasePlan, StoredDecision, plan_release

__all__ = [
    "MANIFEST",
    "MANIFEST_COPY",
    "SIGNATURE",
    "SOURCES",
    "ClassPlan",
    "Contents",
    "Disclosure",
    "FieldSource",
    "LedgerAnchor",
    "Member",
    "Minimized",
    "PayloadFormat",
    "ReleaseError",
    "ReleasePlan",
    "ReleaseVerificationError",
    "Sealed",
    "StoredDecision",
    "VerifiedPackage",
    "benefit_column",
    "bind_fields",
    "build_manifest",
    "manifest",
    "minimize",
    "needed_columns",
    "open_digest",
    "parse_recipients",
    "payload_name",
    "plan_release",
    "seal",
    "seal_bytes",
    "serialize",
    "stream_package",
    "verify_package",
]
