"""Oversight services: transparency reports, their verification, alerts, auditor reads.

- `_publish`: publish a report (checked against the publication history, within the privacy
  budget), list and serve the published ones.
- `_history`: the publication history and the privacy-loss budget, as the store keeps them.
- `_verify`: `report verify`, offline against a ledger export.
- `_alerts`: the alert rules over the log; `_audit`: auditors' logged reads and bundles.
- `_log`: reading the log's entries for all of these.
"""

from custos.workflow.oversight._alerts import (
    AlertView,
    check_alerts,
    check_alerts_as,
    list_alerts,
)
from custos.workflow.oversight._audit import (
    BundleSummary,
    ManifestView,
    export_bundle,
    log_audit_read,
    release_manifest,
)
from custos.workflow.oversight._log import catalogue_classes, frames_from_export, frames_from_store
from custos.workflow.oversight._publish import (
    REPORT_FILES,
    PublishedReport,
    ReportListing,
    list_reports,
    publication_data,
    report_file,
    transparency_report,
    transparency_report_as,
)
from custos.workflow.oversight._verify import (
    DEFAULT_PACKS,
    ReportMismatchError,
    ReportVerification,
    verify_report,
)

__all__ = [
    "DEFAULT_PACKS",
    "REPORT_FILES",
    "AlertView",
    "BundleSummary",
    "ManifestView",
    "PublishedReport",
    "ReportListing",
    "ReportMismatchError",
    "ReportVerification",
    "catalogue_classes",
    "check_alerts",
    "check_alerts_as",
    "export_bundle",
    "frames_from_export",
    "frames_from_store",
    "list_alerts",
    "list_reports",
    "log_audit_read",
    "publication_data",
    "release_manifest",
    "report_file",
    "transparency_report",
    "transparency_report_as",
    "verify_report",
]
