"""Open ``report.html`` in headless Chromium: does it render cleanly, offline, and show the table?

``python -m benchmarks.page_check reports/latest/report.html`` prints what it found and saves a
screenshot beside the page (``report.png``); the test suite runs the same check. Chromium is
the distribution's (Debian/Ubuntu: ``apt-get install chromium``), driven by Playwright.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Request, sync_playwright

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu")
CHROMIUM_NAMES = ("chromium", "chromium-browser")
HEADLINE_HEADING = "Data layer on"
LOCAL_SCHEMES = ("file:", "data:", "about:")


def chromium_path() -> str:
    """The system's Chromium; a missing browser is an error, never a silent skip."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("Chromium is not installed: `apt-get install chromium` (Debian/Ubuntu)")


@dataclass
class PageCheck:
    """What the browser saw while loading the page."""

    console_errors: list[str] = field(default_factory=list)
    network_requests: list[str] = field(default_factory=list)  # anything not file:/data:
    headline_table_visible: bool = False
    headline_table_text: str = ""
    images: int = 0
    images_loaded: int = 0


def check_page(page_path: Path, screenshot: Path | None = None) -> PageCheck:
    """Load ``page_path`` in headless Chromium and report what happened."""
    found = PageCheck()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            found.console_errors.append(message.text)

    def on_request(request: Request) -> None:
        if not request.url.startswith(LOCAL_SCHEMES):
            found.network_requests.append(request.url)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=list(CHROMIUM_FLAGS)
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", on_console)
            page.on("pageerror", lambda error: found.console_errors.append(str(error)))
            page.on("request", on_request)
            page.goto(page_path.resolve().as_uri(), wait_until="load")
            heading = page.locator("h2", has_text=HEADLINE_HEADING).first
            table = heading.locator("xpath=following-sibling::table[1]")
            if heading.count() and table.count():
                found.headline_table_visible = table.is_visible()
                found.headline_table_text = table.inner_text()
            found.images = page.locator("img").count()
            found.images_loaded = int(
                page.evaluate(
                    "Array.from(document.images)"
                    ".filter(i => i.complete && i.naturalWidth > 0).length"
                )
            )
            if screenshot is not None:
                if found.headline_table_visible:  # the picture shows the figures, not the preamble
                    page.evaluate("window.scrollTo(0, 0)")
                    heading.evaluate("element => element.scrollIntoView()")
                page.screenshot(path=str(screenshot), full_page=False)
        finally:
            browser.close()
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Check a page, save its screenshot; 0 when it rendered cleanly and offline."""
    cli = argparse.ArgumentParser(prog="python -m benchmarks.page_check")
    cli.add_argument("page", type=Path, help="a report.html")
    cli.add_argument("--screenshot", type=Path, help="default: report.png beside the page")
    args = cli.parse_args(argv)
    screenshot = args.screenshot or args.page.with_name("report.png")
    found = check_page(args.page, screenshot)
    print(f"console errors: {len(found.console_errors)}", *found.console_errors, sep="\n  ")
    print(f"network requests: {len(found.network_requests)}", *found.network_requests, sep="\n  ")
    print(f"headline table visible: {found.headline_table_visible}")
    print(f"images loaded: {found.images_loaded} of {found.images}")
    print(f"screenshot: {screenshot}")
    clean = not found.console_errors and not found.network_requests
    return 0 if clean and found.headline_table_visible else 1


if __name__ == "__main__":
    raise SystemExit(main())
