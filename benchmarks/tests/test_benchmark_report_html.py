"""``report.html``: one self-contained page, opened in headless Chromium.

These tests take no ``app_kind``/``backend`` fixture, so they run once whatever is selected.
A missing Chromium fails them (``apt-get install chromium``): it is never a skip.
"""

from __future__ import annotations

import re
import subprocess
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
def test_the_report_draws_every_character_fits_the_page_and_answers_first(
    opened: Opened,
) -> None:
    assert opened.check.box_glyphs == []
    assert opened.check.wide_tables == [] and not opened.check.page_wider_than_window
    assert opened.check.answer_on_first_screen
    assert opened.check.clean


@pytest.mark.slow
def test_the_check_fails_on_the_old_emoji_marks_drawn_as_boxes(tmp_path: Path) -> None:
    """The marks the report used to print, judged against fontconfig's own answer: a mark no
    installed font covers must be caught; one a font covers (⚠ in DejaVu) must not be."""
    page = tmp_path / "marks.html"
    marks = ["✅", "❌", "⚠"]
    cells = "".join(f"<tr><td>gate</td><td>{mark}</td></tr>" for mark in marks)
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        "<h2>The answer</h2><p>Figures.</p>"
        f"<table><tr><th>gate</th><th>passed</th></tr>{cells}</table>"
        # U+10FFFD is a private-use code point: no font has a glyph for it
        "<p>µs × – \U0010fffd</p></body></html>",
        encoding="utf-8",
    )
    found = check_page(page)
    uncovered = [mark for mark in marks if not covered_by_a_font(mark)]
    assert uncovered, "this machine has an emoji font: the old marks would draw"
    assert set(uncovered) <= set(found.box_glyphs)
    assert "⚠" not in found.box_glyphs or not covered_by_a_font("⚠")
    assert "\U0010fffd" in found.box_glyphs
    assert not {"µ", "×", "–"} & set(found.box_glyphs)
    assert not found.clean


def covered_by_a_font(character: str) -> bool:
    """fontconfig's answer: does any installed font have a glyph for ``character``?"""
    listed = subprocess.run(
        ["fc-list", f":charset={ord(character):x}", "family"],
        capture_output=True,
        text=True,
        check=True,
    )
    return bool(listed.stdout.strip())


@pytest.mark.slow
def test_the_check_fails_on_a_table_wider_than_the_page(tmp_path: Path) -> None:
    page = tmp_path / "wide.html"
    wide = "".join(f"<td>{'x' * 40}</td>" for _ in range(12))
    page.write_text(
        "<!DOCTYPE html><html><body><h2>The answer</h2><p>Figures.</p>"
        '<table style="white-space: nowrap"><tr><th>too wide</th>'
        f"{wide}</tr></table></body></html>",
        encoding="utf-8",
    )
    found = check_page(page)
    assert found.wide_tables == ["too wide"]
    assert not found.clean


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
    assert not found.answer_on_first_screen and not found.clean
