"""Shared fixtures: a real database per test (SQLite always, PostgreSQL when configured).

PostgreSQL runs when CUSTOS_TEST_POSTGRES_URL is set (the Makefile and CI set it); each test
session gets its own freshly created database, dropped at the end, so parallel runs and other
suites on the same server never collide.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

# Before any custos import: the suite hashes secrets with argon2's cheapest profile (see
# custos.workflow.hashing); the servers and CLIs it starts inherit the setting.
os.environ["CUSTOS_INSECURE_FAST_HASHING_FOR_TESTS"] = "1"

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from custos.config import Settings
from custos.store.engine import make_engine
from custos.store.migrate import upgrade
from custos.store.schema import metadata
from custos.workflow import totp_seal
from custos.workflow.context import Context

REPO = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("CUSTOS_TEST_POSTGRES_URL", "")
TEST_SECRET = "test-pseudonym-secret-0123456789"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once keeps tests fast)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("CUSTOS_TEST_POSTGRES_URL is not set")
    name = f"custos_test_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{tbl.name}"' for tbl in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def _settings(url: str, data_dir: Path) -> Settings:
    """Settings as an installation has them: its own TOTP key, in a file beside the data."""
    totp_key = data_dir / "totp.key"
    if not totp_key.exists():
        totp_seal.write_key_file(totp_key)
    return Settings(
        database_url=url,
        data_dir=data_dir,
        pseudonym_secret=TEST_SECRET,
        policies_dir=REPO / "policies",
        totp_key_path=totp_key,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ctx(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, clock: Clock
) -> Iterator[Context]:
    """A Context over a real, migrated, empty database of the chosen backend."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        db = tmp_path / "custos.db"
        shutil.copy(template, db)
        url = f"sqlite:///{db}"
    else:
        url = request.getfixturevalue("postgres_database")
    context = Context.from_settings(_settings(url, data_dir), clock=clock)
    if backend == "postgres":
        _truncate_all(context.engine)
    yield context
    context.engine.dispose()


@pytest.fixture
def sqlite_ctx(tmp_path: Path, clock: Clock, sqlite_template: Path) -> Iterator[Context]:
    """A SQLite-only Context, for tests that need nothing server-specific."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    db = tmp_path / "custos.db"
    shutil.copy(sqlite_template, db)
    context = Context.from_settings(_settings(f"sqlite:///{db}", data_dir), clock=clock)
    yield context
    context.engine.dispose()
