"""``/docs`` and ``/redoc`` work with no internet: every asset comes from the app itself.

Headless Chromium opens each page of the real server with every request to another host
aborted (and recorded), and must see the API's operations rendered. The pages do not depend
on the database backend, so this runs on SQLite only (a real server and a browser per app).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Route, sync_playwright

from benchmarks.page_check import CHROMIUM_FLAGS, chromium_path
from shared_tests.live_server import live_server

LOCAL_HOSTS = ("127.0.0.1", "localhost")
OPERATIONS = {
    "/docs": (".opblock-summary-path", "/todos/{todo_id}"),
    "/redoc": ("h2:has-text('Create Todo')", "Create Todo"),
}


def test_the_docs_pages_name_no_other_host(client: TestClient) -> None:
    """Cheap check on every backend: the HTML references only this server's paths."""
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        assert "http://" not in page.text.replace("http://www.w3.org", "")
        assert "https://" not in page.text, f"{path} loads something from another host"
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        assert client.get(f"/docs-static/{asset}").status_code == 200


@pytest.mark.slow
@pytest.mark.backends("sqlite")
def test_the_docs_render_the_operations_in_chromium_with_the_network_blocked(
    app_kind: str, database_url: str, tmp_path: Path
) -> None:
    """Both pages in one browser on one server: a start of each costs more than a page."""
    blocked: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    shown: dict[str, list[str]] = {}
    with (
        live_server(app_kind, ["--database-url", database_url], cwd=tmp_path) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=list(CHROMIUM_FLAGS)
        )
        try:
            for path, (selector, _) in OPERATIONS.items():
                page = browser.new_page()
                page.route("**/*", only_local)
                page.goto(f"{server.base_url}{path}", wait_until="load")
                page.locator(selector).first.wait_for(timeout=20_000)
                shown[path] = page.locator(selector).all_inner_texts()
                page.close()
        finally:
            browser.close()

    for path, (_, expected) in OPERATIONS.items():
        assert any(expected in text for text in shown[path]), (path, shown[path])
    assert blocked == [], f"the pages tried to reach other hosts: {blocked}"
