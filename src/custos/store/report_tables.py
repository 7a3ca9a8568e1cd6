"""Tables of published transparency reports and of the privacy-loss budget they spend.

The ledger is the record (`oversight:report:publish` names each report, its hash and what it
spent); these tables let the next publication read the whole history at once. A published
report's exact per-quarter counts are kept beside its cells: the history check needs the truth
to know which withheld count is at risk. They are as secret as the ledger they come from and
never leave the database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from custos.store.base import Base, BigId, utc


class PublishedReportRow(Base):
    """One published transparency report (a period may be published again, at a later
    checkpoint: each publication is a row)."""

    __tablename__ = "published_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(String(80), index=True)
    period: Mapped[str] = mapped_column(String(10), index=True)
    #: The calendar quarters the period covers.
    quarters: Mapped[list[str]] = mapped_column(JSON)
    checkpoint_size: Mapped[int] = mapped_column(BigId)
    noisy: Mapped[bool] = mapped_column(Boolean)
    sha256: Mapped[str] = mapped_column(String(64))
    #: The published tables (cells, withheld as null), as `Publication.data()`.
    cells: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Exact per-quarter counts (`Publication.atom_data()`); null for a noisy report.
    exact_counts: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    ledger_index: Mapped[int] = mapped_column(BigId)
    published_by: Mapped[str] = mapped_column(String(60))
    published_at: Mapped[utc]


class PrivacyBudgetSpend(Base):
    """Privacy loss (epsilon) a noisy report spent on one population in one quarter."""

    __tablename__ = "privacy_budget_spends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(String(80), index=True)
    quarter: Mapped[str] = mapped_column(String(8), index=True)
    population: Mapped[str] = mapped_column(String(40))
    epsilon: Mapped[float] = mapped_column(Float)
    spent_at: Mapped[utc]
