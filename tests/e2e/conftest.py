"""End-to-end fixtures: Debian's Chromium driven by Playwright against a live Custos server.

- `browser` (session): headless Chromium from `/usr/bin/chromium` (Debian package; Playwright's
  own browser downloads are never used), with the flags that work as root in a container.
- `live` (per test): a fresh SQLite database with the shared demo `World` (staff, two
  requesters, demo people) and a ledger key, served by uvicorn on 127.0.0.1 on a free port
  in a thread of the test process, so tests can read the world (tokens, identities) directly.
- `check_a11y(page)`: runs the vendored axe-core on the page and fails on serious or critical
  violations.

Other suites (oversight reports) may reuse `browser`, `live` and `check_a11y`.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from custos.api.app import create_app
from custos.ledger import generate_key
from custos.store.engine import make_engine
from custos.store.migrate import upgrade
from custos.workflow import ledger as ledger_service
from custos.workflow.context import Context
from tests.conftest import Clock, _settings
from tests.integration.conftest import World, build_world

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The server's clock: fixed, so the demo's legal documents are current and tests repeat.
START = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives Debian's Chromium against a live server")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (scripts/services installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Live:
    """A running server: its base URL and the world behind it."""

    url: str
    world: World
    ctx: Context
    clock: Clock

    def publish_checkpoint(self) -> None:
        ledger_service.publish_checkpoint(self.ctx)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def start_server(tmp: Path) -> Generator[Live, None, None]:
    """Build a world in `tmp` and serve it until the generator is closed."""
    data = tmp / "var"
    data.mkdir(parents=True)
    db = tmp / "custos.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    engine.dispose()
    clock = Clock(START)
    ctx = Context.from_settings(_settings(f"sqlite:///{db}", data), clock=clock)
    signer, _ = generate_key(ctx.settings.ledger_origin)
    key = tmp / "ledger.key"
    ledger_service.write_key_file(key, [signer])
    ctx.settings = ctx.settings.model_copy(update={"ledger_key_path": key})
    world = build_world(ctx)
    sock = _free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(ctx=ctx), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(200):
        if server.started:
            started.set()
            break
        threading.Event().wait(0.05)
    if not started.is_set():
        raise RuntimeError("the test server did not start")
    try:
        yield Live(url=f"http://127.0.0.1:{port}", world=world, ctx=ctx, clock=clock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        ctx.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    yield from start_server(tmp_path / "live")


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser context (its own cookies), downloads allowed."""
    c = browser.new_context(accept_downloads=True, locale="en-US")
    yield c
    c.close()


def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now."""
    # Evaluated over the DevTools protocol rather than added as a <script> element, so the
    # page's Content-Security-Policy stays on while it is checked.
    page.evaluate(_axe_source())
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v.get("impact") in {"serious", "critical"}]


def check_a11y(page: Any) -> None:
    bad = axe_violations(page)
    summary = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in bad
    ]
    assert not bad, f"{page.url}: " + "\n".join(summary)
