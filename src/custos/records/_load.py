"""Writing a `RecordSet` into the store, inside the caller's transaction.

Row-at-a-time ORM inserts would take many minutes for a million people, so the loader goes
one level down: on SQLite a driver-level `executemany` of plain tuples in large batches, on
PostgreSQL `COPY … FROM STDIN`. Both run on the session's own connection, so the rows commit or
roll back with everything else in the unit of work (and with its ledger entry). The loader never
commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custos.records._frames import RecordSet
from custos.store.tables import Enrolment, Household, Person

#: Rows per executemany / COPY batch: large enough to amortize calls, small enough for memory.
BATCH_ROWS = 50_000

Progress = Callable[[int], None]


@dataclass(frozen=True, kw_only=True)
class LoadCounts:
    """How many rows of each kind were written. Counts only: safe to put in the ledger."""

    households: int
    people: int
    enrolments: int

    def as_dict(self) -> dict[str, int]:
        return {"households": self.households, "people": self.people, "enrolments": self.enrolments}


def store_is_empty(session: Session) -> bool:
    """Whether the store holds no people yet (demo data goes only into an empty store)."""
    return session.execute(select(func.count()).select_from(Person)).scalar_one() == 0


def load(session: Session, records: RecordSet, *, progress: Progress | None = None) -> LoadCounts:
    """Insert every row of `records`; does not commit. `progress` gets rows written so far."""
    records = records.conformed()
    tables = (
        (Household.__tablename__, records.households),
        (Person.__tablename__, records.people),
        (Enrolment.__tablename__, records.enrolments),
    )
    connection = session.connection()
    dialect = connection.dialect.name
    for table, frame in tables:
        if frame.is_empty():
            continue
        columns = frame.columns
        if dialect == "postgresql":
            _copy_postgres(connection.connection.driver_connection, table, frame, progress)
        else:
            placeholders = ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608  # nosec B608 - fixed table and column names
            for batch in _batches(_sqlite_ready(frame)):
                connection.exec_driver_sql(statement, batch)
                if progress is not None:
                    progress(len(batch))
    return LoadCounts(
        households=records.households.height,
        people=records.people.height,
        enrolments=records.enrolments.height,
    )


def _sqlite_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates as ISO text, which is how SQLAlchemy stores and reads `Date` on SQLite.

    Passing `date` objects would lean on sqlite3's default adapters, deprecated since 3.12.
    """
    return frame.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))


def _batches(frame: pl.DataFrame) -> Iterator[list[tuple[Any, ...]]]:
    for offset in range(0, frame.height, BATCH_ROWS):
        yield frame.slice(offset, BATCH_ROWS).rows()


def _copy_postgres(driver: Any, table: str, frame: pl.DataFrame, progress: Progress | None) -> None:
    statement = f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for batch in _batches(frame):
            for row in batch:
                copy.write_row(row)
            if progress is not None:
                progress(len(batch))
