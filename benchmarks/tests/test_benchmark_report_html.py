"""``report.html``: one self-contained page, opened in headless Chromium.

These tests take no ``app_kind``/``backend`` fixture, so they run once whatever is selected.
A missing Chromium fails them (``apt-get install chromium``): it is never a skip.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest

from benchmarks.page_check import PageCheck, check_page
from benchmarks.report import write_report
from benchmarks.report_html import render_html
from benchmarks.tests.test_benchmark_instruction_report import report_with_counts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Opened(NamedTuple):
    """The page written for a sample report with counts, and what Chromium saw."""

    out: Path
    page: str
    check: PageCheck


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> Opened:
    out = tmp_path_factory.mktemp("html")
    write_report(report_with_counts("sqlite"), out)
    check = check_page(out / "report.html", out / "report.png")
    return Opened(out, (out / "report.html").read_text(encoding="utf-8"), check)


@pytest.mark.slow
def test_the_page_needs_nothing_beside_it(opened: Opened) -> None:
    sources = re.findall(r'(?:src|href)="([^"]*)"', opened.page)
    assert sources, "the page should have images"
    assert all(source.startswith("data:image/png;base64,") for source in sources)
    assert "http://" not in opened.page and "https://" not in opened.page


@pytest.mark.slow
def test_the_page_carries_every_section_of_the_markdown(opened: Opened) -> None:
    markdown = (opened.out / "report.md").read_text(encoding="utf-8")
    headings = [line.lstrip("#").strip() for line in markdown.splitlines() if line[:1] == "#"]
    for heading in headings:
        assert re.search(rf"<h[1-3]>{re.escape(heading)}</h[1-3]>", opened.page), heading


@pytest.mark.slow
def test_chromium_renders_it_offline_without_console_errors(opened: Opened) -> None:
    assert opened.check.console_errors == []
    assert opened.check.network_requests == []
    assert opened.check.images > 0
    assert opened.check.images_loaded == opened.check.images


@pytest.mark.slow
def test_chromium_shows_the_headline_table(opened: Opened) -> None:
    assert opened.check.headline_table_visible
    assert "µs per operation" in opened.check.headline_table_text
    assert "get_one" in opened.check.headline_table_text


@pytest.mark.slow
def test_a_screenshot_of_the_page_is_saved(opened: Opened) -> None:
    assert (opened.out / "report.png").read_bytes().startswith(PNG_SIGNATURE)


def test_markdown_html_is_escaped_not_passed_through(tmp_path: Path) -> None:
    page = render_html("# Title\n\n<script>alert(1)</script>\n", tmp_path, "a <title>")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "<title>a &lt;title&gt;</title>" in page


@pytest.mark.slow
def test_the_check_catches_console_errors_network_requests_and_a_missing_table(
    tmp_path: Path,
) -> None:
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><body><h1>no table here</h1>"
        '<img src="https://example.invalid/chart.png">'
        "<script>console.error('broken chart')</script></body></html>",
        encoding="utf-8",
    )
    found = check_page(page)
    assert "broken chart" in found.console_errors
    assert found.network_requests == ["https://example.invalid/chart.png"]
    assert not found.headline_table_visible
    assert found.images_loaded == 0
