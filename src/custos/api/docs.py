"""The interactive API documentation, served from Custos's own files so it works offline.

`/docs` is Swagger UI and `/docs/redoc` is ReDoc, both over `/openapi.json`; their scripts and
styles are vendored under `custos/api/static/` (versions and licences in its README) and served
at `/docs/static/…`. Nothing is loaded from a CDN or a font service.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
ASSETS = "/docs/static"


def install(app: FastAPI, *, title: str) -> None:
    """Mount the assets and add the two documentation pages (not themselves in the OpenAPI)."""
    app.mount(ASSETS, StaticFiles(directory=STATIC_DIR), name="api-docs-static")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{title} — API",
            swagger_js_url=f"{ASSETS}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/swagger-ui/favicon-32x32.png",
        )

    @app.get("/docs/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{title} — API reference",
            redoc_js_url=f"{ASSETS}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )
