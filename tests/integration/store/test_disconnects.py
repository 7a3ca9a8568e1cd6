"""A PostgreSQL connection cut under the server (a restart, an idle timeout, an operator's
`pg_terminate_backend`): the pool recovers without pinging on every checkout (issue 18)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from custos.store.engine import make_engine
from custos.workflow.context import Context
from tests.integration.conftest import World, bearer, fleeing_felon, upload

pytestmark = pytest.mark.postgres


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """PostgreSQL only: SQLite has no server connection to lose."""
    return str(request.param)


def _cut_every_connection(url: str) -> int:
    """Terminate every other session on the database, as an operator would; how many."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            )
    finally:
        admin.dispose()


@pytest.fixture
def server_url(ctx: Context) -> str:
    return ctx.engine.url.render_as_string(hide_password=False)


def test_an_idle_connection_cut_meanwhile_is_replaced_before_use(server_url: str) -> None:
    engine = make_engine(server_url, ping_after_idle=0.0)
    try:
        with engine.connect() as conn:
            before = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert _cut_every_connection(server_url) >= 1
        with engine.connect() as conn:  # no error: the ping found the dead one
            after = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert after != before
    finally:
        engine.dispose()


def test_after_the_servers_connections_are_cut_the_next_submit_works(
    world: World, client: TestClient, server_url: str
) -> None:
    token = world.tokens["police"]
    sha = upload(client, token)
    body = fleeing_felon(sha, {"ssn": "999-01-0001"})
    assert client.post("/v1/requests", json=body, headers=bearer(token)).status_code == 201
    assert _cut_every_connection(server_url) >= 1
    # A connection in busy use is not pinged: the first call to meet a dead one may fail,
    # and it takes every older pooled connection with it. Nothing half-done is stored.
    first = client.post("/v1/requests", json=body, headers=bearer(token)).status_code
    assert first in {201, 500}
    second = client.post("/v1/requests", json=body, headers=bearer(token))
    assert second.status_code == 201, second.text
    listed = client.get("/v1/requests", headers=bearer(token)).json()
    assert len(listed) == (3 if first == 201 else 2)
