"""Open ``report.html`` in headless Chromium: does it render cleanly, offline, answer first?

``python -m benchmarks.page_check reports/latest/report.html`` prints what it found and saves a
screenshot of the first screen beside the page (``report.png``); the test suite runs the same
check. Chromium is the distribution's (Debian/Ubuntu: ``apt-get install chromium``), driven by
Playwright. Besides console errors and network requests it fails a page that:

- draws a character as a box: a glyph no installed font has (an emoji, say) is drawn as the
  font's ``.notdef`` box. Each distinct non-ASCII character of the page's text is drawn on a
  canvas in the font family of the element that holds it, and compared pixel for pixel (and
  by advance width) with code points no font can have (unassigned ones): a match is a box.
  ``document.fonts.check`` cannot see this: it answers for the listed families, not for
  what the fallback draws;
- has a table wider than the page (cut off, or in a scroll box that hides columns);
- does not show *The answer* on its first screen.
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
ANSWER_HEADING = "The answer"
VIEWPORT = {"width": 1280, "height": 900}
BOX_GLYPHS = """() => {
  // Unassigned code points: no font maps them, so they are drawn as the .notdef box.
  const references = ["\\u0378", "\\u0379", "\\u0380"];
  const canvas = document.createElement("canvas");
  canvas.width = 96; canvas.height = 96;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const draw = (text, family) => {
    context.clearRect(0, 0, 96, 96);
    context.font = `48px ${family}`;
    context.textBaseline = "top";
    context.fillText(text, 16, 16);
    const alpha = context.getImageData(0, 0, 96, 96).data.filter((_, i) => i % 4 === 3);
    return `${context.measureText(text).width}:${alpha.join(",")}`;
  };
  const byFamily = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement) continue;
    const family = getComputedStyle(node.parentElement).fontFamily;
    if (!byFamily.has(family)) byFamily.set(family, new Set());
    for (const character of node.data) {
      if (character.codePointAt(0) > 0x7e) byFamily.get(family).add(character);
    }
  }
  const boxes = [];
  for (const [family, characters] of byFamily) {
    const box = new Set(references.map((reference) => draw(reference, family)));
    for (const character of characters) {
      // white space, combining marks and format characters (U+FE0F...) draw no glyph
      if (/[\\s\\p{Mn}\\p{Cf}]/u.test(character)) continue;
      if (box.has(draw(character, family)) && !boxes.includes(character)) boxes.push(character);
    }
  }
  return boxes;
}"""
WIDE_TABLES = """() => {
  const width = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll("table"))
    .filter((table) => table.getBoundingClientRect().right > width + 0.5
                       || table.scrollWidth > table.clientWidth + 1)
    .map((table) => table.querySelector("th")?.textContent ?? "");
}"""
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
    box_glyphs: list[str] = field(default_factory=list)  # characters drawn as a box
    wide_tables: list[str] = field(default_factory=list)  # first header cell of each
    page_wider_than_window: bool = False
    answer_on_first_screen: bool = False
    answer_text: str = ""

    @property
    def clean(self) -> bool:
        """Rendered offline, without errors, boxes or overflow, the answer first."""
        return (
            not (
                self.console_errors
                or self.network_requests
                or self.box_glyphs
                or self.wide_tables
                or self.page_wider_than_window
            )
            and self.answer_on_first_screen
        )


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
            page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
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
            found.box_glyphs = list(page.evaluate(BOX_GLYPHS))
            found.wide_tables = list(page.evaluate(WIDE_TABLES))
            found.page_wider_than_window = bool(
                page.evaluate(
                    "document.documentElement.scrollWidth > document.documentElement.clientWidth"
                )
            )
            answer = page.locator("h2", has_text=ANSWER_HEADING).first
            if answer.count():
                text = answer.locator("xpath=following-sibling::p[1]")
                box = text.bounding_box() if text.count() else None
                found.answer_on_first_screen = box is not None and (
                    box["y"] + box["height"] <= VIEWPORT["height"]
                )
                found.answer_text = text.inner_text() if text.count() else ""
            if screenshot is not None:  # the first screen: what a reader sees on opening it
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
    print(f"the answer on the first screen: {found.answer_on_first_screen}")
    print(f"characters drawn as a box: {len(found.box_glyphs)}", *found.box_glyphs, sep="\n  ")
    print(f"tables wider than the page: {len(found.wide_tables)}", *found.wide_tables, sep="\n  ")
    print(f"page wider than the window: {found.page_wider_than_window}")
    print(f"images loaded: {found.images_loaded} of {found.images}")
    print(f"screenshot: {screenshot}")
    return 0 if found.clean and found.headline_table_visible else 1


if __name__ == "__main__":
    raise SystemExit(main())
