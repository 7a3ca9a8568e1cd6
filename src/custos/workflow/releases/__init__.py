"""Releases: what happens after approval, until the recipient destroys the data.

A release is built from an approved request (issue "Releases"), in `build`:

1. *Plan* — the stored per-class decisions give, for each decision class, the fields that
   leave and how they are generalized (`custos.release.plan_release`).
2. *Minimize and seal* — the included people's records are read in chunks, minimized with
   Polars, serialized and streamed through age to the requester's recipient keys. Only
   ciphertext reaches the disk. Subjects excluded by an upheld challenge and unmatched
   subjects are never read.
3. *Account and publish* — one transaction appends one `release:accounting:entry` per person,
   signs the manifest (with the ledger's agency key), writes the release row and moves the
   request to `released`. A crash before the commit leaves an orphan ciphertext file that
   nothing points at (purged by `purge`), no release row and no accounting entry; after the
   commit, all of them. A release is downloadable only through its row.

Then: downloads (each logged) and the requester's receipt (→ delivered) in `delivery`; the
retention clock (→ retention_expired → overdue, with an oversight alert) and destruction
attestations (→ destroyed) in `retention`; recall and correction notices in `corrections`;
purging internal ciphertext after delivery plus a grace period in `purge`. Manifests and
ledger entries are kept for good.

`status_of(session, release_ids)` reads releases' recorded status for other capabilities (a
person's accounting does not use it: it works each status out from the release's lifecycle
events in the log, which its file proves); `recall` is what an upheld challenge calls.
Neither pulls in `custos.workflow.rights`. Every step after the build is logged with the
release's id in the event's data (`data.release`): the release map commits them per release.
"""

from custos.workflow.releases._basis import CHUNK_PEOPLE, Progress
from custos.workflow.releases._views import ReleaseStatus, ReleaseView
from custos.workflow.releases.build import APPEND_BATCH, build
from custos.workflow.releases.corrections import (
    NoticeView,
    correct,
    notices_for_requester,
    recall,
)
from custos.workflow.releases.delivery import (
    Package,
    acknowledge_receipt,
    download,
    download_correction,
    get,
    get_for_requester,
    list_for_requester,
    read_payload_rows,
    status_of,
)
from custos.workflow.releases.purge import ORPHAN_AGE, PurgeSummary, purge, purge_as
from custos.workflow.releases.retention import (
    RetentionItem,
    attest_destruction,
    retention_view,
    sweep_retention,
    sweep_retention_as,
)

__all__ = [
    "APPEND_BATCH",
    "CHUNK_PEOPLE",
    "ORPHAN_AGE",
    "NoticeView",
    "Package",
    "Progress",
    "PurgeSummary",
    "ReleaseStatus",
    "ReleaseView",
    "RetentionItem",
    "acknowledge_receipt",
    "attest_destruction",
    "build",
    "correct",
    "download",
    "download_correction",
    "get",
    "get_for_requester",
    "list_for_requester",
    "notices_for_requester",
    "purge",
    "purge_as",
    "read_payload_rows",
    "recall",
    "retention_view",
    "status_of",
    "sweep_retention",
    "sweep_retention_as",
]
