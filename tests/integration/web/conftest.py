"""Web pages over the shared `world`, driven with a TestClient that keeps cookies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from custos.api.app import create_app
from custos.workflow import rights
from custos.workflow.context import Context
from tests.integration.conftest import (
    PASSWORD,
    World,
    build_world,
    give_ledger_key,
    officer_code,
    totp_code,
)

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def world(ctx: Context, tmp_path: Path) -> World:
    """The shared world, with a ledger key so releases can be built."""
    give_ledger_key(ctx, tmp_path)
    return build_world(ctx)


class Browser:
    """A TestClient that reads each page's CSRF token, like a browser submitting its forms."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token = ""

    def get(self, path: str, **kw: Any) -> httpx.Response:
        r = self.client.get(path, **kw)
        found = _CSRF.search(r.text)
        if found:
            self.token = found.group(1)
        return r

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        if not self.token:
            self.get("/sign-in")  # a page that always has a form
        body = {"csrf_token": self.token, **(data or {})}
        return self.client.post(path, data=body, **kw)


@pytest.fixture
def app_client(world: World) -> Iterator[TestClient]:
    with TestClient(
        create_app(ctx=world.ctx), raise_server_exceptions=False, follow_redirects=False
    ) as c:
        yield c


@pytest.fixture
def browser(app_client: TestClient) -> Browser:
    return Browser(app_client)


def staff_browser(world: World, username: str) -> Browser:
    b = Browser(TestClient(create_app(ctx=world.ctx), follow_redirects=False))
    b.get("/staff/sign-in")
    code = totp_code(world.ctx, username)
    r = b.post("/staff/sign-in", {"username": username, "password": PASSWORD, "code": code})
    assert r.status_code == 303, r.text
    return b


def requester_browser(world: World, key: str = "police") -> Browser:
    """A browser signed in to the portal as the agency's officer (password and TOTP code)."""
    b = Browser(TestClient(create_app(ctx=world.ctx), follow_redirects=False))
    b.get("/portal/sign-in")
    officer = world.officers[key]
    r = b.post(
        "/portal/sign-in",
        {
            "username": officer.officer.username,
            "password": PASSWORD,
            "code": officer_code(world, key),
        },
    )
    assert r.status_code == 303, r.text
    return b


def person_browser(world: World, key: str, *, lang: str = "en") -> Browser:
    p = world.person(key)
    code = rights.issue_access_code(
        world.ctx, actor=world.staff["intake"], person_id=p.person_id
    ).code
    b = Browser(TestClient(create_app(ctx=world.ctx), follow_redirects=False))
    prefix = "/es" if lang == "es" else ""
    b.get(f"{prefix}/sign-in")
    r = b.post(
        f"{prefix}/sign-in",
        {"case_number": p.dcn, "birth_date": str(p.birth_date), "code": code},
    )
    assert r.status_code == 303, r.text
    return b
