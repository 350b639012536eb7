"""``/docs`` (Swagger UI) and ``/redoc`` served with their scripts from this server, not a CDN.

FastAPI's default pages load Swagger UI, ReDoc and Google Fonts from other hosts, so on an
offline or firewalled machine the tutorial's first step, "open /docs", showed a blank page.
The static files come from the ``fastapi-offline`` package (maintained, it tracks Swagger UI and
ReDoc releases); the pages are FastAPI's own, pointed at them as FastAPI's "Custom Docs UI
Static Assets (Self-Hosting)" guide describes.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_URL = "/docs-static"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
REDOC_POLICY = "img-src 'self' data:"


def install_docs(app: FastAPI) -> None:
    """Serve /docs, its OAuth2 redirect, /redoc and their static files on ``app``.

    The app must be created with ``docs_url=None, redoc_url=None``.
    """
    static = files("fastapi_offline") / "static"
    app.mount(STATIC_URL, StaticFiles(directory=str(static)), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_URL}/favicon.png",
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        # ReDoc's menu always shows Redocly's logo from cdn.redoc.ly; the policy keeps the
        # browser from even trying (the image hides itself when it cannot load).
        page = get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = REDOC_POLICY
        return page
