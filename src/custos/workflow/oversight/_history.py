"""The publication history and the privacy-loss budget, as the store keeps them.

Every publication is one row (`published_reports`), with its cells and, for an exact report,
its exact per-quarter counts; every noisy one also spends rows of `privacy_budget_spends`. The
ledger's `oversight:report:publish` entry, written in the same transaction, is the record; the
tables let the next publication read the whole history at once.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from custos import oversight
from custos.config import Settings
from custos.store.report_tables import PrivacyBudgetSpend, PublishedReportRow

#: Arbitrary constant (a bigint) naming the publication's lock on PostgreSQL ("custosr").
_PG_REPORT_LOCK = 0x637573746F7372


def lock_publications(session: Session) -> None:
    """Serialise publications (PostgreSQL; SQLite writers are serialised already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_REPORT_LOCK})


def protection_of(settings: Settings) -> oversight.Protection:
    """The protection range the settings ask for."""
    if settings.report_protection == "width":
        return oversight.Protection(band=False, width=settings.report_protection_width)
    return oversight.Protection()


def exact_history(session: Session) -> list[oversight.Publication]:
    """Every exact report published so far, oldest first."""
    rows = session.scalars(
        select(PublishedReportRow)
        .where(PublishedReportRow.noisy.is_(False))
        .order_by(PublishedReportRow.id)
    )
    return [
        oversight.Publication.load(
            report_id=r.report_id,
            period=r.period,
            checkpoint=r.checkpoint_size,
            data=r.cells,
            atoms=r.exact_counts or [],
        )
        for r in rows
    ]


def coverage_of(session: Session) -> dict[str, bool]:
    """Quarter → whether the reports covering it are noisy."""
    out: dict[str, bool] = {}
    for quarters, noisy in session.execute(
        select(PublishedReportRow.quarters, PublishedReportRow.noisy)
    ):
        for q in quarters:
            out[q] = bool(noisy)
    return out


def budget_of(session: Session, settings: Settings) -> oversight.Budget:
    """The limit and what noisy reports have spent, by quarter and population."""
    spent: dict[tuple[str, str], float] = {}
    for q, population, epsilon in session.execute(
        select(
            PrivacyBudgetSpend.quarter, PrivacyBudgetSpend.population, PrivacyBudgetSpend.epsilon
        )
    ):
        spent[(q, population)] = spent.get((q, population), 0.0) + float(epsilon)
    return oversight.Budget(limit=settings.report_epsilon_budget, spent=spent)


def store_publication(
    session: Session,
    *,
    report: oversight.Report,
    sha256: str,
    ledger_index: int,
    actor: str,
) -> None:
    """Keep a published report (and what it spent) for the next publication's checks."""
    noisy = report.noise is not None
    cells = (
        report.publication.data()
        if report.publication is not None
        else {"tables": [oversight.PublishedTable.of(p).__dict__ for p in report.tables]}
    )
    session.add(
        PublishedReportRow(
            report_id=report.id,
            period=report.period.label,
            quarters=list(report.period.quarters),
            checkpoint_size=report.checkpoint.size,
            noisy=noisy,
            sha256=sha256,
            cells=_plain(cells),
            exact_counts=None if report.publication is None else report.publication.atom_data(),
            ledger_index=ledger_index,
            published_by=actor,
            published_at=report.generated_at,
        )
    )
    if report.noise is not None:
        for q in report.period.quarters:
            for population, epsilon in report.noise.populations.items():
                session.add(
                    PrivacyBudgetSpend(
                        report_id=report.id,
                        quarter=q,
                        population=population,
                        epsilon=epsilon,
                        spent_at=report.generated_at,
                    )
                )


def _plain(value: object) -> object:
    """Tuples as lists, for a JSON column."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
