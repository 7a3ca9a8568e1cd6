"""Staff roles. Least privilege: each action names the roles that may take it."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    INTAKE = "intake"
    LEGAL_REVIEWER = "legal_reviewer"
    APPROVER = "approver"
    AUDITOR = "auditor"
    ADMIN = "admin"
