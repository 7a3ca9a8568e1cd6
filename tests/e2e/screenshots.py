"""Refresh the README's screenshots: `python -m tests.e2e.screenshots [DIR]` (`make screenshots`).

Starts the same live server as the end-to-end tests, seeds the tour's world and saves one PNG
per main page (the tour's stops marked `screenshot`) into DIR (default docs/screenshots).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_server
from tests.e2e.tour import Stop, seed, walk


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        server = start_server(Path(tmp) / "live")
        live = next(server)
        try:

            def visit(page: Any, stop: Stop) -> None:
                if stop.screenshot:
                    page.screenshot(path=str(out / f"{stop.name}.png"), full_page=False)
                    print(out / f"{stop.name}.png")  # noqa: T201 - a command's output

            walk(browser, live, seed(live), visit)
        finally:
            server.close()
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
