"""The OpenAPI document tells the truth: schemathesis fuzzes every operation with every check on.

Each operation is called with generated valid and invalid input (a bounded number of examples,
so the test stays under a minute on two cores), signed in as the caller the operation is for:
a staff member holding every role, a requesting agency, a person. Every answer must carry a
status, media type, headers and body the document lists; no input may produce a server error.

SQLite only: the checks are about the HTTP contract, which does not depend on the database
(the workflow tests run on both).

Excluded checks, each with its reason (`EXCLUDED`):
- `positive_data_acceptance`: JSON Schema cannot say everything valid input must be (a
  request names people or a bulk criterion, exactly one; `first` ≤ `second` ≤ the tree size;
  a document hash the caller uploaded; text without control characters). Such input is
  schema-valid and rightly answered 422 with every bad field in `errors[]`, as documented.
- `negative_data_rejection`: Pydantic converts JSON values that mean the same thing (`0` for
  `false`, `"5"` for `5`) and FastAPI ignores query parameters no operation declares; what
  reaches a service is always of the documented type, and a value that cannot be converted is
  a 422.
- `use_after_free` and `ensure_resource_availability` follow links between operations that
  create and delete resources; Custos never deletes a request, release or person (the log is
  append-only), so the only DELETEs (sessions, tokens, consents) revoke, and a revoked token's
  id reading as missing afterwards is the intended answer.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    negative_data_rejection,
    positive_data_acceptance,
    use_after_free,
)

from custos.api.app import create_app
from custos.domain.roles import Role
from custos.workflow import accounts, rights, staff_sessions
from custos.workflow.context import Context
from tests.conftest import Clock, _settings
from tests.integration.conftest import (
    PASSWORD,
    build_world,
    give_ledger_key,
    seed_second_factor,
    totp_code,
)

#: Examples per operation: enough to reach every status, bounded for CI.
EXAMPLES = 6
#: The coverage phase (every boundary value of every schema, which `max_examples` does not
#: bound) takes minutes on two cores, so it is left out; `test_edges.py` pins the boundaries
#: that matter (2^63 and 2^64 in every integer parameter, oversized bodies).
PHASES = ["examples", "fuzzing"]
EXCLUDED = [
    positive_data_acceptance,
    negative_data_rejection,
    use_after_free,
    ensure_resource_availability,
]


# A legal document travels as raw bytes, like `application/octet-stream`.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")


def _tokens(ctx: Context) -> dict[str, str]:
    world = build_world(ctx)
    everyone = accounts.create_staff(
        ctx,
        actor=None,
        username="everyone",
        display_name="Every role",
        password=PASSWORD,
        roles=set(Role),
    )
    seed_second_factor(ctx, everyone.id)  # an administrator too: signs in with a second factor
    staff, _ = staff_sessions.sign_in(
        ctx, username="everyone", password=PASSWORD, code=totp_code(ctx, "everyone")
    )
    person = world.person("snap_fleeing_felon")
    code = rights.issue_access_code(ctx, actor=world.staff["intake"], person_id=person.person_id)
    opened = rights.AccessCodeSignIn().sign_in(
        ctx,
        {"case_number": person.dcn, "birth_date": str(person.birth_date), "code": code.code},
    )
    rep = rights.register_representative(
        ctx, actor=world.staff["admin"], name="Ana Torres", organization="Legal aid"
    )
    return {
        "staff": staff,
        "requester": world.tokens["police"],
        "person": opened.token,
        "representative": rep.token,
    }


@pytest.fixture(scope="module")
def fuzzed(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[str, dict[str, str]]]:
    """The app over a world with a caller of each kind, and those callers' tokens."""
    tmp = tmp_path_factory.mktemp("fuzz")
    db = tmp / "custos.db"
    shutil.copy(sqlite_template, db)
    (tmp / "var").mkdir()
    clock = Clock(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC))
    ctx = Context.from_settings(_settings(f"sqlite:///{db}", tmp / "var"), clock=clock)
    give_ledger_key(ctx, tmp)
    tokens = _tokens(ctx)
    with serving(create_app(ctx=ctx)) as url:
        yield url, tokens
    ctx.engine.dispose()


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn on a free port of 127.0.0.1 in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _document() -> dict[str, Any]:
    """The document the app publishes (building it touches no database)."""
    settings = _settings("sqlite://", Path("var"))
    return create_app(settings).openapi()


schema = schemathesis.openapi.from_dict(_document())
schema.config.phases.update(phases=PHASES)


def caller(method: str, path: str) -> str | None:
    """Whose token an operation is called with (None: none, it is public or ends a session)."""
    if method == "DELETE" and path.endswith("/session"):
        return None
    if path.startswith(("/v1/staff/", "/v1/audit/", "/v1/ledger/entries")) or (
        method == "POST" and path == "/v1/ledger/checkpoint"
    ):
        return "staff"
    if path.startswith(("/v1/requests", "/v1/documents", "/v1/releases")):
        return "requester"
    if path.startswith("/v1/me/"):
        return "person"
    if path.startswith("/v1/people/representative/"):
        return "representative"
    return None


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_answer_is_documented(case: Any, fuzzed: tuple[str, dict[str, str]]) -> None:
    url, tokens = fuzzed
    who = caller(case.method.upper(), case.path)
    headers = {"Authorization": f"Bearer {tokens[who]}"} if who else None
    case.call_and_validate(base_url=url, headers=headers, excluded_checks=EXCLUDED)
