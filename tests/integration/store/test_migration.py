"""The Alembic migration builds exactly the schema the SQLAlchemy tables declare.

Each backend gets a database of its own, created empty for this test, migrated to head, then
compared with `alembic.autogenerate.compare_metadata`: any table, column, type, index or
constraint that one side has and the other lacks is drift, and the test names it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from custos.ledger._map_buckets import Bucket, bucket_of, fold
from custos.store.engine import make_engine
from custos.store.migrate import upgrade
from custos.store.schema import metadata
from tests.conftest import POSTGRES_URL


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database of `backend`, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("CUSTOS_TEST_POSTGRES_URL is not set")
    name = f"custos_migration_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_migration_and_the_tables_agree(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            drift = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert set(metadata.tables) <= tables
    assert drift == [], "\n".join(str(d) for d in drift)


def test_drift_would_be_seen(fresh_url: str) -> None:
    """The comparison is not vacuous: a table the tables do not declare is reported."""
    engine = make_engine(fresh_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE drift_probe (id INTEGER PRIMARY KEY)"))
        with engine.connect() as conn:
            drift = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert [d[0] for d in drift] == ["remove_table"]
    assert drift[0][1].name == "drift_probe"


def test_map_buckets_made_before_their_subtrees_were_stored_are_filled_in(fresh_url: str) -> None:
    """Revision 0002 adds the buckets' subtree hashes: a database holding buckets from
    before it upgrades in place, each bucket's hashes worked out from its records (as the
    map would have written them), and from then on a bucket cannot be stored without them."""
    people = [hashlib.sha256(f"person {i}".encode()).digest() for i in range(400)]
    buckets: dict[int, Bucket] = {}
    for key in people:
        buckets.setdefault(bucket_of(key), Bucket())
    fold(buckets, [(key, i, hashlib.sha256(key).digest()) for i, key in enumerate(people)])
    engine = make_engine(fresh_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as conn:
            for number, bucket in buckets.items():
                conn.execute(
                    text(
                        "INSERT INTO ledger_map_buckets (map, bucket, people, records) "
                        "VALUES (1, :b, :n, :r)"
                    ),
                    {"b": number, "n": len(bucket), "r": bucket.to_blob()},
                )
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT bucket, subtrees FROM ledger_map_buckets")).all()
        stored = {int(b): bytes(s) for b, s in rows}
        assert stored == {b: bucket.subtrees_blob() for b, bucket in buckets.items()}
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO ledger_map_buckets (map, bucket, people, records) "
                    "VALUES (2, 0, 0, :r)"
                ),
                {"r": b""},
            )
    finally:
        engine.dispose()
